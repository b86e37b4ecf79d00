import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventLog, type RelayEvent } from '../../src/relay/storage/event-log.js';
import { EventRecorder } from '../../src/relay/admin/event-recorder.js';
import { DAY_MS, StatsQueryError, TagStats, domainOf } from '../../src/relay/admin/stats.js';

const T0 = Date.parse('2026-03-10T00:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

function ev(type: RelayEvent['type'], minutesAfterT0: number, tag: string | undefined, recipient: string, account = 'acme'): RelayEvent {
  const e: RelayEvent = { type, time: T0 + minutesAfterT0 * MIN, account, recipient, id: `m${minutesAfterT0}`, route: 'main' };
  if (tag !== undefined) e.tag = tag;
  return e;
}

/** A day of traffic over two tags, three domains and every event type. */
const DAY_OF_EVENTS: RelayEvent[] = [
  ev('accepted', 5, 'welcome', 'ann@example.com'),
  ev('delivered', 6, 'welcome', 'ann@example.com'),
  ev('accepted', 10, 'welcome', 'bob@Example.COM'),
  ev('deferred', 11, 'welcome', 'bob@Example.COM'),
  ev('delivered', 75, 'welcome', 'bob@Example.COM'),
  ev('accepted', 61, 'reset', 'cy@other.org'),
  ev('failed', 62, 'reset', 'cy@other.org'),
  ev('suppressed', 130, 'reset', 'cy@other.org'),
  ev('rejected', 131, undefined, 'dee@third.net'),
  ev('accepted', 23 * 60 + 59, 'welcome', 'eve@example.com'),
  ev('accepted', 24 * 60, 'welcome', 'late@example.com'), // the first minute of the next day: outside [T0, T0+1d)
  ev('accepted', 30, 'welcome', 'x@example.com', 'other-account'),
];

describe('TagStats', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-stats-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts each event type per account and tag over [from, to), with untagged events under "untagged"', () => {
    const stats = new TagStats({ now: () => T0 + 2 * DAY_MS });
    for (const e of DAY_OF_EVENTS) stats.record(e);
    const report = stats.query({ accounts: ['acme'], from: T0, to: T0 + DAY_MS, intervalMs: HOUR });
    assert.equal(report.accounts.length, 1);
    const acme = report.accounts[0]!;
    assert.deepEqual(acme.totals, { accepted: 4, delivered: 2, deferred: 1, failed: 1, rejected: 1, suppressed: 1, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 });
    const byTag = Object.fromEntries(acme.tags.map((t) => [t.tag, t.totals]));
    assert.deepEqual(byTag['welcome'], { accepted: 3, delivered: 2, deferred: 1, failed: 0, rejected: 0, suppressed: 0, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 });
    assert.deepEqual(byTag['reset'], { accepted: 1, delivered: 0, deferred: 0, failed: 1, rejected: 0, suppressed: 1, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 });
    assert.deepEqual(byTag['untagged'], { accepted: 0, delivered: 0, deferred: 0, failed: 0, rejected: 1, suppressed: 0, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 });
    assert.equal(acme.tags[0]!.tag, 'welcome', 'busiest tag first');
  });

  it('gives a dense time series with one point per interval, starting at interval multiples (UTC)', () => {
    const stats = new TagStats({ now: () => T0 + 2 * DAY_MS });
    for (const e of DAY_OF_EVENTS) stats.record(e);
    const report = stats.query({ accounts: ['acme'], from: T0, to: T0 + 3 * HOUR, intervalMs: HOUR });
    const series = report.accounts[0]!.series;
    assert.deepEqual(
      series.map((p) => [p.start, p.accepted, p.delivered, p.deferred, p.failed, p.rejected, p.suppressed]),
      [
        ['2026-03-10T00:00:00.000Z', 2, 1, 1, 0, 0, 0],
        ['2026-03-10T01:00:00.000Z', 1, 1, 0, 1, 0, 0],
        ['2026-03-10T02:00:00.000Z', 0, 0, 0, 0, 1, 1],
      ],
    );
    const daily = stats.query({ accounts: ['acme'], from: T0 - DAY_MS, to: T0 + 2 * DAY_MS, intervalMs: DAY_MS }).accounts[0]!.series;
    assert.deepEqual(
      daily.map((p) => p.accepted),
      [0, 4, 1],
    );
  });

  it('breaks a named tag down by lower-cased recipient domain, with a series per domain', () => {
    const stats = new TagStats({ now: () => T0 + 2 * DAY_MS });
    for (const e of DAY_OF_EVENTS) stats.record(e);
    const report = stats.query({ accounts: ['acme'], tag: 'welcome', from: T0, to: T0 + DAY_MS, intervalMs: 6 * HOUR });
    const tags = report.accounts[0]!.tags;
    assert.equal(tags.length, 1);
    const welcome = tags[0]!;
    assert.equal(welcome.series?.length, 4);
    assert.deepEqual(
      welcome.domains?.map((d) => [d.domain, d.totals.accepted, d.totals.delivered, d.totals.deferred]),
      [['example.com', 3, 2, 1]],
    );
    assert.deepEqual(
      welcome.domains?.[0]?.series.map((p) => p.accepted),
      [2, 0, 0, 1],
    );
    assert.equal(domainOf('Someone@Sub.Example.ORG'), 'sub.example.org');
    assert.equal(domainOf('postmaster'), '(none)');
  });

  it('answers a tag with no events with zeros rather than leaving it out', () => {
    const stats = new TagStats({ now: () => T0 });
    const report = stats.query({ accounts: ['acme'], tag: 'nothing', from: T0 - HOUR, to: T0, intervalMs: 15 * MIN });
    assert.deepEqual(report.accounts[0]!.tags[0]!.totals, { accepted: 0, delivered: 0, deferred: 0, failed: 0, rejected: 0, suppressed: 0, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 });
    assert.equal(report.accounts[0]!.series.length, 4);
  });

  it('refuses a range that would give more points than allowed, naming the interval', () => {
    const stats = new TagStats({ maxPoints: 100, now: () => T0 });
    assert.throws(
      () => stats.query({ from: T0 - DAY_MS, to: T0, intervalMs: MIN }),
      (e: unknown) => e instanceof StatsQueryError && e.parameter === 'interval',
    );
    assert.throws(
      () => stats.query({ from: T0, to: T0, intervalMs: HOUR }),
      (e: unknown) => e instanceof StatsQueryError && e.parameter === 'to',
    );
  });

  it('counts domains past the per-tag bound as "other" and drops buckets past the retention window', () => {
    let now = T0;
    const stats = new TagStats({ maxDomainsPerTag: 2, retentionMs: 2 * DAY_MS, now: () => now });
    for (const d of ['a.com', 'b.com', 'c.com', 'd.com']) stats.record({ type: 'accepted', time: T0, account: 'acme', tag: 't', recipient: `x@${d}` });
    const domains = stats.query({ accounts: ['acme'], tag: 't', from: T0, to: T0 + MIN, intervalMs: MIN }).accounts[0]!.tags[0]!.domains!;
    assert.deepEqual(
      domains.map((d) => [d.domain, d.totals.accepted]),
      [
        ['other', 2],
        ['a.com', 1],
        ['b.com', 1],
      ],
    );
    now = T0 + 3 * DAY_MS;
    stats.prune();
    assert.equal(stats.query({ accounts: ['acme'], from: T0, to: T0 + MIN, intervalMs: MIN }).accounts[0]!.totals.accepted, 0);
    stats.record({ type: 'accepted', time: T0, account: 'acme', tag: 't', recipient: 'x@a.com' });
    assert.equal(stats.query({ accounts: ['acme'], from: T0, to: T0 + MIN, intervalMs: MIN }).accounts[0]!.totals.accepted, 0, 'an event older than the retention window is not counted');
  });

  it('rebuilds the same numbers from the event log after a restart', async () => {
    const now = T0 + 2 * DAY_MS;
    const logDir = join(dir, 'restart');
    const log = await EventLog.open(logDir, { maxFileBytes: 600, maxFiles: 100 });
    const live = new TagStats({ now: () => now });
    const recorder = new EventRecorder(log, live);
    for (const e of DAY_OF_EVENTS) assert.equal(recorder.append(e), true);
    await log.close();

    const reopened = await EventLog.open(logDir, { maxFileBytes: 600, maxFiles: 100 });
    const rebuilt = new TagStats({ now: () => now });
    assert.equal(await rebuilt.rebuildFrom(reopened), DAY_OF_EVENTS.length);
    for (const tag of [undefined, 'welcome', 'reset']) {
      const q = { accounts: ['acme', 'other-account'], from: T0 - HOUR, to: T0 + 2 * DAY_MS, intervalMs: HOUR };
      const withTag = tag === undefined ? q : { ...q, tag };
      assert.deepEqual(rebuilt.query(withTag), live.query(withTag), `same report for tag ${tag ?? '(all)'}`);
    }
    await reopened.close();
  });

  it('counts an event appended while a rebuild runs exactly once', async () => {
    const now = T0 + DAY_MS;
    const log = await EventLog.open(join(dir, 'concurrent'));
    for (const e of DAY_OF_EVENTS.slice(0, 4)) log.append(e);
    await log.flush();
    const stats = new TagStats({ now: () => now });
    const recorder = new EventRecorder(log, stats);
    const rebuilding = stats.rebuildFrom(log);
    recorder.append({ type: 'accepted', time: now, account: 'acme', tag: 'welcome', recipient: 'new@example.com' });
    await rebuilding;
    const totals = stats.query({ accounts: ['acme'], from: T0, to: now + MIN, intervalMs: HOUR }).accounts[0]!.totals;
    assert.equal(totals.accepted, 3);
    assert.equal(totals.delivered, 1);
    assert.equal(totals.deferred, 1);
    await log.close();
  });
  it('counts bounces as hard and soft, complaints, and their rates per delivered recipient', async () => {
    const stats = new TagStats({ now: () => T0 + DAY_MS });
    const events: RelayEvent[] = [];
    for (let i = 0; i < 4; i++) events.push(ev('delivered', i, 'welcome', `u${i}@example.com`));
    events.push({ ...ev('bounced', 10, 'welcome', 'u0@example.com'), status: '5.1.1', hard: true, reason: 'userunknown' });
    events.push({ ...ev('bounced', 11, 'welcome', 'u1@example.com'), status: '4.2.2', hard: false, reason: 'mailboxfull' });
    events.push({ ...ev('complained', 12, 'welcome', 'u2@example.com'), reason: 'feedback' });
    events.push({ ...ev('bounced', 13, 'reset', 'v@example.com'), status: '5.1.1', hard: true, reason: 'userunknown' });
    for (const e of events) stats.record(e);
    const report = stats.query({ accounts: ['acme'], from: T0, to: T0 + HOUR, intervalMs: HOUR });
    const acme = report.accounts[0]!;
    const welcome = acme.tags.find((t) => t.tag === 'welcome')!;
    assert.deepEqual([welcome.totals.bounced, welcome.totals.bouncedHard, welcome.totals.bouncedSoft, welcome.totals.complained], [2, 1, 1, 1]);
    assert.deepEqual(welcome.rates, { bounced: 0.5, bouncedHard: 0.25, complained: 0.25, opened: 0, clicked: 0 });
    const reset = acme.tags.find((t) => t.tag === 'reset')!;
    assert.deepEqual(reset.rates, { bounced: null, bouncedHard: null, complained: null, opened: null, clicked: null }, 'no rate without a delivered recipient');
    assert.deepEqual([acme.totals.bounced, acme.totals.bouncedHard, acme.totals.bouncedSoft], [3, 2, 1]);
    assert.equal(acme.series[0]!.bouncedHard, 2);
    // A rebuild from the log gives the same split (the hard flag is stored with the event).
    const log = await EventLog.open(join(dir, 'feedback'));
    for (const e of events) log.append(e);
    await log.flush();
    const rebuilt = new TagStats({ now: () => T0 + DAY_MS });
    await rebuilt.rebuildFrom(log);
    assert.deepEqual(rebuilt.query({ accounts: ['acme'], from: T0, to: T0 + HOUR, intervalMs: HOUR }), report);
    await log.close();
  });
});
