// Opens and clicks in the per-tag stats (issue 18): totals and machine counts, unique (per message and recipient)
// counts by people and by machines, open and click rates against delivered, the same after a rebuild from the event
// log, and the unique memory bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, type RelayEvent } from '../../src/relay/storage/event-log.js';
import { TagStats, MINUTE_MS } from '../../src/relay/admin/stats.js';
import { EventRecorder } from '../../src/relay/admin/event-recorder.js';
import { SeenKeys, seenKey } from '../../src/relay/admin/seen-keys.js';

const T0 = Date.UTC(2026, 2, 1, 12, 0);
const HOUR = 60 * MINUTE_MS;

function e(type: RelayEvent['type'], minute: number, id: string, recipient: string, machine?: boolean): RelayEvent {
  return { type, time: T0 + minute * MINUTE_MS, account: 'shop', tag: 'news', id, recipient, ...(machine === undefined ? {} : { machine }) };
}

/** Four recipients delivered; opens and clicks by people and machines, some repeated. */
const EVENTS: RelayEvent[] = [
  ...['a', 'b', 'c', 'd'].map((r) => e('delivered', 0, 'm1', `${r}@example.net`)),
  e('opened', 1, 'm1', 'b@example.net', true), // Apple MPP, as the message arrives
  e('opened', 1, 'm1', 'a@example.net', true),
  e('opened', 5, 'm1', 'a@example.net', false),
  e('opened', 6, 'm1', 'a@example.net', false), // the same person again: total, not unique
  e('opened', 7, 'm1', 'b@example.net', true),
  e('opened', 20, 'm1', 'c@example.net', false),
  e('opened', 21, 'm1', 'a@example.net', false),
  e('clicked', 2, 'm1', 'b@example.net', true), // a link scanner
  e('clicked', 8, 'm1', 'a@example.net', false),
  e('clicked', 9, 'm1', 'a@example.net', false),
  e('opened', 30, 'm2', 'a@example.net', false), // another message to the same person: unique again
  e('delivered', 29, 'm2', 'a@example.net'),
];

describe('tracking in the per-tag stats', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-tracking-stats-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('totals, machine counts, unique counts by people and machines, and rates against delivered', () => {
    const stats = new TagStats({ now: () => T0 + HOUR });
    for (const ev of EVENTS) stats.record(ev);
    const report = stats.query({ accounts: ['shop'], from: T0, to: T0 + HOUR, intervalMs: HOUR });
    const news = report.accounts[0]!.tags[0]!;
    const t = news.totals;
    assert.deepEqual(
      [t.delivered, t.opened, t.openedMachine, t.openedUniqueHuman, t.openedUniqueMachine, t.clicked, t.clickedMachine, t.clickedUniqueHuman, t.clickedUniqueMachine],
      [5, 8, 3, 3, 2, 3, 1, 1, 1],
    );
    assert.equal(news.rates.opened, 3 / 5, 'unique human opens per delivered recipient');
    assert.equal(news.rates.clicked, 1 / 5);
    assert.deepEqual(report.accounts[0]!.rates, news.rates);
  });

  test('a unique count falls in the minute of the first such event', () => {
    const stats = new TagStats({ now: () => T0 + HOUR });
    for (const ev of EVENTS) stats.record(ev);
    const series = stats.query({ accounts: ['shop'], tag: 'news', from: T0, to: T0 + HOUR, intervalMs: 10 * MINUTE_MS }).accounts[0]!.tags[0]!.series!;
    assert.deepEqual(series.map((p) => p.openedUniqueHuman), [1, 0, 1, 1, 0, 0], 'a at minute 5 (not 6 or 21), c at 20, a of m2 at 30');
    assert.deepEqual(series.map((p) => p.opened), [5, 0, 2, 1, 0, 0]);
    // A range that starts after a first open does not count the later repeats as unique.
    const late = stats.query({ accounts: ['shop'], from: T0 + 21 * MINUTE_MS, to: T0 + 22 * MINUTE_MS, intervalMs: MINUTE_MS }).accounts[0]!.totals;
    assert.deepEqual([late.opened, late.openedUniqueHuman], [1, 0]);
  });

  test('the same report after a rebuild from the event log (as at start)', async () => {
    const log = await EventLog.open(join(dir, 'log'));
    const live = new TagStats({ now: () => T0 + HOUR });
    const recorder = new EventRecorder(log, live);
    for (const ev of EVENTS) assert.equal(recorder.append(ev), true);
    await log.close();
    const reopened = await EventLog.open(join(dir, 'log'));
    const rebuilt = new TagStats({ now: () => T0 + HOUR });
    assert.equal(await rebuilt.rebuildFrom(reopened), EVENTS.length);
    for (const tag of [undefined, 'news']) {
      const q = { accounts: ['shop'], from: T0, to: T0 + HOUR, intervalMs: 10 * MINUTE_MS, ...(tag ? { tag } : {}) };
      assert.deepEqual(rebuilt.query(q), live.query(q));
    }
    await reopened.close();
  });

  test('the remembered pairs are bounded; an active pair stays remembered', () => {
    const seen = new SeenKeys(100);
    const active = seenKey('opened', 'h', 'shop', 'm1', 'a@example.net');
    assert.equal(seen.firstTime(active), true);
    for (let i = 0; i < 10_000; i++) {
      seen.firstTime(seenKey('opened', 'h', 'shop', `m${i}`, 'x@example.net'));
      if (i % 40 === 0) assert.equal(seen.firstTime(active), false, 'still known');
      assert.ok(seen.size <= 100);
    }
    // Past the bound an old pair is forgotten: its next open counts as unique again (documented over-count).
    assert.equal(seen.firstTime(seenKey('opened', 'h', 'shop', 'm0', 'x@example.net')), true);
    // Bounded through TagStats too.
    const stats = new TagStats({ now: () => T0 + HOUR, maxSeenKeys: 10 });
    for (let i = 0; i < 50; i++) stats.record(e('opened', 1, `m${i}`, 'a@example.net', false));
    for (let i = 45; i < 50; i++) stats.record(e('opened', 2, `m${i}`, 'a@example.net', false));
    const t = stats.query({ accounts: ['shop'], from: T0, to: T0 + HOUR, intervalMs: HOUR }).accounts[0]!.totals;
    assert.deepEqual([t.opened, t.openedUniqueHuman], [55, 50], 'the five recent pairs were still remembered');
  });

  test('events without a message id or a recipient count in the totals but not as unique', () => {
    const stats = new TagStats({ now: () => T0 + HOUR });
    stats.record({ type: 'opened', time: T0, account: 'shop', tag: 'news', recipient: 'a@example.net' });
    const t = stats.query({ accounts: ['shop'], from: T0, to: T0 + HOUR, intervalMs: HOUR }).accounts[0]!.totals;
    assert.deepEqual([t.opened, t.openedUniqueHuman], [1, 0]);
  });
});
