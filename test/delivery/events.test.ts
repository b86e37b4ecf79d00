// EventLog: batched, fsynced JSON lines, rotated, read back newest first with filters and cursors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, EventQueryError, recordAccepted, recordRejected, type RelayEvent } from '../../src/relay/storage/event-log.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'txrelay-events-'));
}

const T0 = Date.UTC(2026, 0, 1);

function ev(i: number, patch: Partial<RelayEvent> = {}): RelayEvent {
  return { type: 'delivered', time: T0 + i * 1000, id: `m${i}`, account: 'acme', tag: 'welcome', route: 'smarthost', recipient: `u${i}@example.com`, reply: '250 ok', attempt: 1, latencyMs: 5, ...patch };
}

test('writes one stable JSON line per event with an ISO time and reads them back newest first', async () => {
  const dir = await tempDir();
  const log = await EventLog.open(dir);
  try {
    for (let i = 0; i < 3; i++) assert.equal(log.append(ev(i)), true);
    await log.flush();
    const text = await readFile(join(dir, 'events-00000001.jsonl'), 'utf8');
    assert.equal(text.split('\n')[0], '{"account":"acme","attempt":1,"id":"m0","latencyMs":5,"recipient":"u0@example.com","reply":"250 ok","route":"smarthost","tag":"welcome","time":"2026-01-01T00:00:00.000Z","type":"delivered"}');
    const page = await log.read();
    assert.deepEqual(page.events.map((e) => e.id), ['m2', 'm1', 'm0']);
    assert.equal(page.next, null);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('filters by time range, account, tag, type and recipient (case-insensitive)', async () => {
  const dir = await tempDir();
  const log = await EventLog.open(dir);
  try {
    log.append(ev(0, { type: 'accepted' }));
    log.append(ev(1, { account: 'beta' }));
    log.append(ev(2, { tag: 'reset' }));
    log.append(ev(3, { type: 'failed', recipient: 'Bad@Example.com' }));
    log.append(ev(4));
    const ids = async (q: Parameters<EventLog['read']>[0]): Promise<string[]> => (await log.read(q)).events.map((e) => e.id!);
    assert.deepEqual(await ids({ from: T0 + 1000, to: T0 + 4000 }), ['m3', 'm2', 'm1']);
    assert.deepEqual(await ids({ account: 'beta' }), ['m1']);
    assert.deepEqual(await ids({ tag: 'reset' }), ['m2']);
    assert.deepEqual(await ids({ type: ['accepted', 'failed'] }), ['m3', 'm0']);
    assert.deepEqual(await ids({ recipient: 'bad@example.com' }), ['m3']);
    await assert.rejects(log.read({ limit: 0 }), EventQueryError);
    await assert.rejects(log.read({ cursor: 'x' }), EventQueryError);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('pages with a cursor across rotated files, and keeps only maxFiles files', async () => {
  const dir = await tempDir();
  const log = await EventLog.open(dir, { maxFileBytes: 600, maxFiles: 3 });
  try {
    for (let i = 0; i < 12; i++) {
      log.append(ev(i));
      await log.flush();
    }
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 3);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await log.read({ limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.events.map((e) => e.id!));
      if (page.next === null) break;
      cursor = page.next;
    }
    // Newest first, no duplicates, and the oldest events rotated away.
    assert.equal(seen[0], 'm11');
    assert.equal(new Set(seen).size, seen.length);
    assert.deepEqual(seen, [...seen].sort((a, b) => Number(b.slice(1)) - Number(a.slice(1))));
    assert.ok(seen.length < 12 && seen.length >= 6, `kept ${seen.length}`);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('survives a reopen and cuts a torn last line', async () => {
  const dir = await tempDir();
  try {
    const a = await EventLog.open(dir);
    a.append(ev(0));
    await a.close();
    await appendFile(join(dir, 'events-00000001.jsonl'), '{"type":"deliv');
    const b = await EventLog.open(dir);
    b.append(ev(1));
    await b.flush();
    assert.deepEqual((await b.read()).events.map((e) => e.id), ['m1', 'm0']);
    await b.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('drops and counts events beyond the buffer bound instead of growing without limit', async () => {
  const dir = await tempDir();
  const log = await EventLog.open(dir, { maxBufferBytes: 1000 });
  try {
    let kept = 0;
    for (let i = 0; i < 20; i++) if (log.append(ev(i))) kept++;
    assert.ok(kept > 0 && kept < 20);
    assert.equal(log.stats().dropped, 20 - kept);
    await log.flush();
    assert.equal((await log.read({ limit: 1000 })).events.length, kept);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('recordAccepted and recordRejected write one event per recipient with the reply given', async () => {
  const dir = await tempDir();
  const log = await EventLog.open(dir);
  try {
    recordAccepted(log, { id: 'q1', account: 'acme', tag: 'welcome', route: 'outbox', recipients: [{ recipient: 'a@example.com' }, { recipient: 'b@example.com' }] }, '250 2.0.0 Ok: queued as q1', T0);
    recordRejected(log, { account: 'acme', recipients: ['c@example.com'] }, '554 5.6.0 text-only bodies are not supported', T0 + 1);
    const events = (await log.read()).events;
    assert.deepEqual(events.map((e) => [e.type, e.recipient]), [['rejected', 'c@example.com'], ['accepted', 'b@example.com'], ['accepted', 'a@example.com']]);
    assert.equal(events[0]!.reply, '554 5.6.0 text-only bodies are not supported');
    assert.equal(events[0]!.id, undefined);
    assert.equal(events[1]!.id, 'q1');
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a time range spanning rotated files returns exactly the events inside it', async () => {
  const dir = await tempDir();
  const log = await EventLog.open(dir, { maxFileBytes: 600, maxFiles: 50 });
  try {
    // One event every 10 minutes, two per file.
    for (let i = 0; i < 10; i++) {
      log.append(ev(i, { time: T0 + i * 600_000 }));
      await log.flush();
    }
    const page = await log.read({ from: T0 + 3 * 600_000, to: T0 + 7 * 600_000 });
    assert.deepEqual(page.events.map((e) => e.id), ['m6', 'm5', 'm4', 'm3']);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});
