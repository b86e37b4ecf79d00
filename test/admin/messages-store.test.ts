// The parts of message activity on their own, over real files: the retention store (keep, read, expiry by day
// folder, the bounded sweep), the bounded index of recent messages, and the bounded scan of a search or a timeline
// over a real event log (scan limit hit, said in the answer, and continued with the cursor).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminServer } from '../../src/relay/admin/admin-server.js';
import { EventRecorder } from '../../src/relay/admin/event-recorder.js';
import { RecentMessages } from '../../src/relay/admin/message-activity-index.js';
import { MessageActivity, parseMessageRef, timeOfQueueId, type MessageSearchPage, type MessageTimeline } from '../../src/relay/admin/message-activity.js';
import { TagStats } from '../../src/relay/admin/stats.js';
import { EventLog, type RelayEvent } from '../../src/relay/storage/event-log.js';
import { RetentionStore, RetentionStoreError, recipientKey } from '../../src/relay/storage/retention.js';
import { SuppressionList } from '../../src/relay/storage/suppression-list.js';
import { createSpoolId } from '../../src/relay/storage/spool/index.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-10T12:00:00Z');
const TOKEN = 'messages-store-token-0123456789';

describe('RetentionStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-retention-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a copy per recipient (case-insensitive), readable until the end of the day its days run out', async () => {
    let now = T0;
    const store = new RetentionStore(join(dir, 'a'), { now: () => now });
    await store.keep('msg1', [{ recipient: 'Jane@Example.org', body: Buffer.from('copy for jane\r\n') }, { recipient: 'bob@example.org', body: Buffer.from('copy for bob\r\n') }], 7);
    assert.deepEqual(await readdir(join(dir, 'a')), ['2026-03-17']);
    assert.deepEqual((await readdir(join(dir, 'a', '2026-03-17', 'msg1'))).sort(), [recipientKey('bob@example.org') + '.eml', recipientKey('jane@example.org') + '.eml'].sort());
    assert.equal((await store.read('msg1', 'jane@example.org'))?.toString(), 'copy for jane\r\n');
    assert.equal(await store.read('msg1', 'nobody@example.org'), null);
    assert.equal(await store.read('other', 'jane@example.org'), null);
    now = Date.parse('2026-03-17T23:59:59Z');
    assert.equal((await store.read('msg1', 'bob@example.org'))?.toString(), 'copy for bob\r\n');
    now = Date.parse('2026-03-18T00:00:00Z');
    assert.equal(await store.read('msg1', 'bob@example.org'), null, 'an expired copy is not served before the sweep');
    assert.equal((await store.find('msg1'))?.expired, true);
  });

  it('replaces the copy of a message kept again the same day, and ignores temp files a crash left', async () => {
    const store = new RetentionStore(join(dir, 'b'), { now: () => T0 });
    await store.keep('msg2', [{ recipient: 'x@example.org', body: Buffer.from('first') }], 1);
    await store.keep('msg2', [{ recipient: 'x@example.org', body: Buffer.from('second') }], 1);
    await writeFile(join(dir, 'b', '2026-03-11', 'msg2', '.leftover.eml.1-abc-1.tmp'), 'half');
    assert.equal((await store.read('msg2', 'x@example.org'))?.toString(), 'second');
    assert.deepEqual([...(await store.find('msg2'))!.keys], [recipientKey('x@example.org')]);
  });

  it('refuses an id that is not a queue id and days that are not positive', async () => {
    const store = new RetentionStore(join(dir, 'c'), { now: () => T0 });
    await assert.rejects(store.keep('../escape', [{ recipient: 'x@example.org', body: Buffer.from('x') }], 1), RetentionStoreError);
    await assert.rejects(store.keep('ok', [{ recipient: 'x@example.org', body: Buffer.from('x') }], 0), /days: must be a positive integer/);
    assert.equal(await store.find('../escape'), null);
  });

  it('sweeps expired day folders only, at most maxRemovalsPerSweep message folders per run', async () => {
    let now = T0;
    const store = new RetentionStore(join(dir, 'd'), { now: () => now, maxRemovalsPerSweep: 2 });
    for (let i = 0; i < 5; i++) await store.keep(`old${i}`, [{ recipient: 'x@example.org', body: Buffer.from('x') }], 1);
    await store.keep('young', [{ recipient: 'x@example.org', body: Buffer.from('y') }], 30);
    assert.equal(await store.sweep(), 0, 'nothing has expired yet');
    now = T0 + 3 * DAY;
    assert.equal(await store.sweep(), 2);
    assert.equal(await store.sweep(), 2);
    assert.equal(await store.sweep(), 1);
    assert.equal(await store.sweep(), 0);
    assert.deepEqual(await readdir(join(dir, 'd')), ['2026-04-09']);
    assert.equal((await store.read('young', 'x@example.org'))?.toString(), 'y');
  });

  it('sweeps on its own once started, sooner while expired folders remain, and stops', async () => {
    const store = new RetentionStore(join(dir, 'e'), { now: () => T0, maxRemovalsPerSweep: 1, busySweepDelayMs: 5, sweepIntervalMs: 60_000 });
    const writer = new RetentionStore(join(dir, 'e'), { now: () => T0 - 10 * DAY });
    for (let i = 0; i < 3; i++) await writer.keep(`m${i}`, [{ recipient: 'x@example.org', body: Buffer.from('x') }], 1);
    store.start();
    const deadline = Date.now() + 5000;
    while ((await readdir(join(dir, 'e'))).length > 0) {
      assert.ok(Date.now() < deadline, 'the started sweep did not empty the folder');
      await new Promise((r) => setTimeout(r, 10));
    }
    await store.stop();
  });
});

describe('message references and the recent-message index', () => {
  it('reads a queue id or an outbound Message-ID, and the time a queue id was made', () => {
    assert.deepEqual(parseMessageRef('abc_DEF-123'), { id: 'abc_DEF-123', index: null });
    assert.deepEqual(parseMessageRef(' <abc123.4@relay.example> '), { id: 'abc123', index: 4 });
    assert.equal(parseMessageRef('two words'), null);
    assert.equal(parseMessageRef('a.b@c@d'), null);
    const id = createSpoolId(T0);
    assert.equal(timeOfQueueId(id, T0), T0);
    assert.equal(timeOfQueueId('short', T0), null);
    assert.equal(timeOfQueueId('zzzzzzzzz' + 'x'.repeat(20), T0), null, 'a time far in the future is not a queue id time');
  });

  it('holds at most maxMessages messages and maxEventsPerMessage events, and knows when it has all of one', () => {
    const index = new RecentMessages({ maxMessages: 2, maxEventsPerMessage: 3 });
    const e = (type: RelayEvent['type'], id: string): RelayEvent => ({ type, id, time: T0, recipient: 'x@example.org' });
    index.record(e('accepted', 'm1'));
    index.record(e('delivered', 'm1'));
    index.record({ type: 'rejected', recipient: 'y@example.org' });
    assert.deepEqual(index.complete('m1')?.map((x) => x.type), ['accepted', 'delivered']);
    index.record(e('opened', 'late'));
    assert.equal(index.complete('late'), null, 'a message first seen after its acceptance is not complete');
    index.record(e('accepted', 'm3'));
    assert.equal(index.size, 2);
    assert.equal(index.complete('m1'), null, 'the oldest message left');
    for (const t of ['deferred', 'deferred', 'delivered'] as const) index.record(e(t, 'm3'));
    assert.equal(index.complete('m3'), null, 'past maxEventsPerMessage the message is read from the log');
  });
});

describe('bounded scans over a real event log', () => {
  let dir: string;
  let log: EventLog;
  let server: AdminServer;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  // 30 messages of one recipient each, between many events of other messages that do not match.
  const ids: string[] = [];
  let closeAll = async (): Promise<void> => undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-activity-scan-'));
    log = await EventLog.open(join(dir, 'events'));
    const stats = new TagStats({ now: () => T0 });
    const suppressions = await SuppressionList.open(join(dir, 'suppressions'));
    const recorder = new EventRecorder(log, stats);
    for (let i = 0; i < 30; i++) {
      const id = createSpoolId(T0 - 3600_000 + i * 60_000);
      ids.push(id);
      const time = T0 - 3600_000 + i * 60_000;
      recorder.append({ type: 'accepted', time, id, account: 'acme', tag: 'bulk', route: 'main', recipient: 'target@example.org' });
      for (let k = 0; k < 20; k++) recorder.append({ type: 'accepted', time, id: `${id}x${k}`, account: 'acme', tag: 'bulk', route: 'main', recipient: `other${k}@example.org` });
      recorder.append({ type: 'delivered', time: time + 1000, id, account: 'acme', tag: 'bulk', route: 'main', recipient: 'target@example.org', reply: '250 ok', attempt: 1 });
    }
    await log.flush();
    server = new AdminServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      metrics: { exposition: () => '' },
      stats,
      events: log,
      suppressions,
      accounts: () => ['acme'],
      readiness: () => ({ ready: true }),
      now: () => T0,
      messages: new MessageActivity({ events: log, now: () => T0, maxScan: 200 }),
    });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
    closeAll = async () => {
      await server.close();
      await log.close();
      await suppressions.close();
      await rm(dir, { recursive: true, force: true });
    };
  });
  after(() => closeAll());

  it('stops a search at the scan limit, says so, and continues it with the cursor', async () => {
    const found: string[] = [];
    let cursor: string | null = null;
    let hits = 0;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 20, 'too many pages');
      const res = await fetch(`${base}/api/messages?recipient=target%40example.org&limit=500&since=${T0 - 2 * 3600_000}${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth });
      const body = (await res.json()) as MessageSearchPage;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.ok(body.scanned <= 200, `scanned ${body.scanned}`);
      assert.equal(body.scanLimit, 200);
      if (body.scanLimitHit) {
        hits++;
        assert.notEqual(body.next, null);
      }
      found.push(...body.messages.map((m) => m.id));
      cursor = body.next;
      if (cursor === null) break;
    }
    assert.ok(hits >= 3, `the limit was hit ${hits} times`);
    assert.deepEqual(found, [...ids].reverse(), 'every message exactly once, newest first');
  });

  it('finds a message whose id gives its time without scanning past it, and says when the limit stopped a lookup', async () => {
    const newest = await (await fetch(`${base}/api/messages/${ids[29]}`, { headers: auth })).json() as MessageTimeline;
    assert.equal(newest.source, 'log');
    assert.equal(newest.complete, true);
    assert.deepEqual(newest.recipients[0]!.timeline.map((s) => s.type), ['accepted', 'delivered']);
    // The oldest message lies ~650 lines back: past the 200-line limit.
    const res = await fetch(`${base}/api/messages/${ids[0]}`, { headers: auth });
    const body = (await res.json()) as { parameter: string; reason: string };
    assert.equal(res.status, 404);
    assert.equal(body.parameter, 'id');
    assert.match(body.reason, /in the 200 newest events of the log \(the scan limit/);
  });
});
