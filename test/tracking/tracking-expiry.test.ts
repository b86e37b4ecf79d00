// Expiry of the tracking records (issue 18): a bounded sweep removes records older than the configured age (by the
// file's time, which is the acceptance time: records are never rewritten), a pass over a large folder is spread over
// several sweeps, and a click or an open of an expired record is 404 over real HTTP, before and after the sweep.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { PublicHttpServer } from '../../src/relay/public-http/index.js';
import { RecordSweeper, TRACKING_DIR, TrackingStore, TrackingTokens, trackingRoutes, type TrackingRecord } from '../../src/relay/tracking/index.js';
import type { RelayEvent } from '../../src/relay/storage/event-log.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);

function record(acceptedAt: number): TrackingRecord {
  return { account: 'shop', tag: 'news', acceptedAt, recipients: ['ann@example.net'], links: ['https://shop.example/a'] };
}

/** Writes a record as the accept path does, then dates its file `ageDays` before NOW. */
async function writeAged(store: TrackingStore, dir: string, id: string, ageDays: number): Promise<void> {
  await store.write(id, record(NOW - ageDays * DAY));
  const t = new Date(NOW - ageDays * DAY);
  await utimes(join(dir, TRACKING_DIR, `${id}.json`), t, t);
}

describe('tracking records: the sweep', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-tracking-expiry-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('removes the records older than the age, keeps the others, and forgets removed ones it had cached', async () => {
    const store = new TrackingStore(dir);
    for (const [id, age] of [['old1', 200], ['old2', 181], ['new1', 179], ['new2', 1], ['old3', 365]] as const) await writeAged(store, dir, id, age);
    // A temp file a crash left long ago goes too.
    await writeFile(join(dir, TRACKING_DIR, '.old4.json.1-ab-1.tmp'), '{');
    await utimes(join(dir, TRACKING_DIR, '.old4.json.1-ab-1.tmp'), new Date(NOW - 300 * DAY), new Date(NOW - 300 * DAY));
    assert.notEqual(await store.read('old1'), null, 'cached now');
    let removed = 0;
    for (let i = 0; i < 10; i++) {
      const r = await store.sweep(NOW - 180 * DAY, 2);
      assert.ok(r.examined <= 2, 'never more than the limit per sweep');
      removed += r.removed;
      if (r.passDone) break;
    }
    assert.equal(removed, 4);
    assert.deepEqual((await readdir(join(dir, TRACKING_DIR))).sort(), ['new1.json', 'new2.json']);
    assert.equal(await store.read('old1'), null, 'the cached copy went with the file');
    assert.notEqual(await store.read('new1'), null);
    await store.close();
  });

  test('a large folder is swept a bounded slice at a time; a folder not made yet is a finished pass', async () => {
    const big = await mkdtemp(join(tmpdir(), 'txrelay-tracking-sweep-'));
    try {
      const store = new TrackingStore(big);
      assert.deepEqual(await store.sweep(NOW, 100), { examined: 0, removed: 0, passDone: true });
      for (let i = 0; i < 250; i++) await writeAged(store, big, `m${i}`, 400);
      const first = await store.sweep(NOW - 180 * DAY, 100);
      assert.deepEqual(first, { examined: 100, removed: 100, passDone: false });
      const second = await store.sweep(NOW - 180 * DAY, 100);
      assert.equal(second.examined, 100);
      const third = await store.sweep(NOW - 180 * DAY, 100);
      assert.equal(third.passDone, true);
      assert.equal(first.removed + second.removed + third.removed, 250);
      assert.deepEqual(await readdir(join(big, TRACKING_DIR)), []);
      await store.close();
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });
});

describe('tracking records: an expired record answers 404 over HTTP', () => {
  let dir = '';
  let server: PublicHttpServer;
  let base = '';
  let sweeper: RecordSweeper;
  const events: RelayEvent[] = [];
  const tokens = new TrackingTokens(Buffer.alloc(32, 3));
  const store = (): TrackingStore => theStore;
  let theStore: TrackingStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-tracking-expired-'));
    theStore = new TrackingStore(dir);
    const routes = trackingRoutes({ tokens, store: theStore, events: { append: (e) => events.push(e) > 0 }, now: () => NOW, recordMaxAgeMs: 180 * DAY });
    server = new PublicHttpServer({ host: '127.0.0.1', port: 0, trustProxy: [], routes: new Map([['o', routes.open], ['c', routes.click]]) });
    base = `http://127.0.0.1:${((await server.listen()) as AddressInfo).port}`;
    sweeper = new RecordSweeper({ store: theStore, maxAgeMs: 180 * DAY, now: () => NOW, limit: 10 });
  });
  after(async () => {
    await sweeper.stop();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (kind: 'o' | 'c', id: string): Promise<Response> =>
    fetch(`${base}/${kind}/${tokens.sign({ kind: kind === 'o' ? 'open' : 'click', account: 'shop', id, recipient: 0, link: 0 })}`, { redirect: 'manual' });

  test('a fresh record answers; an expired one is 404 before the sweep and after it, and records no event', async () => {
    await writeAged(store(), dir, 'fresh', 10);
    await writeAged(store(), dir, 'stale', 181);
    assert.equal((await get('c', 'fresh')).status, 302);
    assert.equal((await get('o', 'fresh')).status, 200);
    assert.equal(events.length, 2);
    assert.equal((await get('c', 'stale')).status, 404, 'expired though its file is still there');
    assert.equal((await get('o', 'stale')).status, 404);
    await sweeper.sweepOnce();
    assert.deepEqual(await readdir(join(dir, TRACKING_DIR)), ['fresh.json']);
    assert.equal((await get('c', 'stale')).status, 404, 'removed');
    assert.equal((await get('c', 'fresh')).status, 302);
    assert.equal(events.length, 3, 'no event for an expired link');
  });
});
