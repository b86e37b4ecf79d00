import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventRecorder } from '../../src/relay/admin/event-recorder.js';
import { RelayMetrics } from '../../src/relay/admin/relay-metrics.js';
import { TagStats } from '../../src/relay/admin/stats.js';
import { EventLog, recordAccepted } from '../../src/relay/storage/event-log.js';

const T = Date.parse('2026-03-10T12:00:00Z');

function sample(text: string, line: string): number | undefined {
  const m = new RegExp(`^${line.replace(/[{}"+.]/g, (c) => '\\' + c)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('EventRecorder', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-recorder-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each event to the log, folds it into the stats, and counts delivery attempts with their latency', async () => {
    const log = await EventLog.open(join(dir, 'a'));
    const stats = new TagStats({ now: () => T });
    const metrics = new RelayMetrics();
    const recorder = new EventRecorder(log, stats, metrics);
    recordAccepted(recorder, { id: 'm1', account: 'acme', tag: 'welcome', route: 'main', recipients: [{ recipient: 'a@x.test' }, { recipient: 'b@x.test' }] }, '250 2.0.0 Ok', T - 5000);
    recorder.append({ type: 'delivered', time: T - 4000, id: 'm1', account: 'acme', tag: 'welcome', route: 'main', recipient: 'a@x.test', attempt: 1, latencyMs: 40 });
    recorder.append({ type: 'deferred', time: T - 3000, id: 'm1', account: 'acme', tag: 'welcome', route: 'main', recipient: 'b@x.test', attempt: 1, latencyMs: 2500 });
    recorder.append({ type: 'suppressed', id: 'm2', account: 'acme', tag: 'welcome', route: 'main', recipient: 'c@x.test' });
    const page = await log.read({});
    assert.deepEqual(
      page.events.map((e) => e.type),
      ['suppressed', 'deferred', 'delivered', 'accepted', 'accepted'],
    );
    assert.ok(Math.abs(Date.parse(page.events[0]!.time) - Date.now()) < 60_000, 'an event without a time is stamped when recorded');
    const totals = stats.query({ accounts: ['acme'], from: T - 60_000, to: T + 60_000, intervalMs: 60_000 }).accounts[0]!.totals;
    assert.deepEqual(totals, { accepted: 2, delivered: 1, deferred: 1, failed: 0, rejected: 0, suppressed: 0, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 }, 'the suppressed event (stamped now, outside the range) is not in this range');
    const text = metrics.exposition();
    assert.equal(sample(text, 'txrelay_delivery_attempts_total{route="main",outcome="delivered"}'), 1);
    assert.equal(sample(text, 'txrelay_delivery_attempts_total{route="main",outcome="deferred"}'), 1);
    assert.equal(sample(text, 'txrelay_delivery_duration_seconds_bucket{route="main",le="0.05"}'), 1);
    assert.equal(sample(text, 'txrelay_delivery_duration_seconds_bucket{route="main",le="2.5"}'), 2);
    assert.equal(sample(text, 'txrelay_recipients_total{outcome="suppressed"}'), 1);
    await log.close();
  });

  it('keeps an event the log refused out of the stats, but counts it in the metrics as dropped', async () => {
    const log = await EventLog.open(join(dir, 'b'));
    await log.close();
    const stats = new TagStats({ now: () => T });
    const metrics = new RelayMetrics();
    const recorder = new EventRecorder(log, stats, metrics);
    assert.equal(recorder.append({ type: 'accepted', time: T, account: 'acme', tag: 't', recipient: 'a@x.test' }), false);
    assert.deepEqual(stats.accountIds(), []);
    const text = metrics.exposition();
    assert.equal(sample(text, 'txrelay_events_dropped_total'), 1);
    assert.equal(sample(text, 'txrelay_recipients_total{outcome="accepted"}'), 1);
  });
});
