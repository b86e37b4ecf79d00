import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricDefinitionError, MetricSampleError, MetricsRegistry, OVERFLOW_LABEL_VALUE, escapeLabelValue } from '../../src/relay/admin/metrics.js';
import { RelayMetrics, spoolDepthOf } from '../../src/relay/admin/relay-metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text exposition format 0.0.4, written from the format description. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; helps: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'exposition ends with a line feed');
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      helps.set(m[1]!, m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      assert.ok(!types.has(m[1]!), `one TYPE line for ${m[1]}`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `sample line is well formed: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest !== '') {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      assert.ok(l, `labels are well formed: ${JSON.stringify(rest)}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const v = m[4]!;
    samples.push({ name: m[1]!, labels, value: v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  return { samples, types, helps };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample | undefined {
  return samples.find((s) => s.name === name && Object.keys(labels).every((k) => s.labels[k] === labels[k]) && Object.keys(s.labels).length === Object.keys(labels).length);
}

describe('MetricsRegistry exposition', () => {
  it('writes HELP and TYPE lines and counter samples that parse back to the recorded values', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'app_requests_total', help: 'Requests.', labelNames: ['code'] });
    c.inc({ code: '250' });
    c.inc({ code: '250' }, 2);
    c.inc({ code: '550' });
    const g = r.gauge({ name: 'app_queue', help: 'Queue depth.' });
    g.set({}, 7);
    const { samples, types, helps } = parseExposition(r.exposition());
    assert.equal(types.get('app_requests_total'), 'counter');
    assert.equal(types.get('app_queue'), 'gauge');
    assert.equal(helps.get('app_queue'), 'Queue depth.');
    assert.equal(find(samples, 'app_requests_total', { code: '250' })?.value, 3);
    assert.equal(find(samples, 'app_requests_total', { code: '550' })?.value, 1);
    assert.equal(find(samples, 'app_queue')?.value, 7);
  });

  it('escapes backslash, double quote and line feed in label values and HELP text', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'odd_total', help: 'Line one\nback\\slash', labelNames: ['v'] });
    const nasty = 'a"b\\c\nd}e,f="g"';
    c.inc({ v: nasty });
    const text = r.exposition();
    assert.ok(text.includes('# HELP odd_total Line one\\nback\\\\slash\n'));
    assert.equal(escapeLabelValue(nasty), 'a\\"b\\\\c\\nd}e,f=\\"g\\"');
    const { samples, helps } = parseExposition(text);
    assert.equal(find(samples, 'odd_total', { v: nasty })?.value, 1);
    assert.equal(helps.get('odd_total'), 'Line one\nback\\slash');
  });

  it('writes cumulative histogram buckets ending in +Inf, with _sum and _count', () => {
    const r = new MetricsRegistry();
    const h = r.histogram({ name: 'lat_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.1, 1, 10] });
    for (const v of [0.05, 0.1, 0.5, 2, 20, 30]) h.observe({ route: 'main' }, v);
    const { samples, types } = parseExposition(r.exposition());
    assert.equal(types.get('lat_seconds'), 'histogram');
    const buckets = samples.filter((s) => s.name === 'lat_seconds_bucket' && s.labels['route'] === 'main');
    assert.deepEqual(
      buckets.map((b) => [b.labels['le'], b.value]),
      [
        ['0.1', 2],
        ['1', 3],
        ['10', 4],
        ['+Inf', 6],
      ],
    );
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets never decrease');
    assert.equal(find(samples, 'lat_seconds_count', { route: 'main' })?.value, 6);
    assert.equal(find(samples, 'lat_seconds_sum', { route: 'main' })?.value, 52.65);
  });

  it('sends label sets past maxSeries to one overflow series labelled "other"', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'per_tag_total', help: 'Per tag.', labelNames: ['account', 'tag'], maxSeries: 3 });
    for (let i = 0; i < 10; i++) c.inc({ account: 'a', tag: `t${i}` });
    c.inc({ account: 'a', tag: 't0' }, 5);
    assert.equal(c.seriesCount, 4);
    const { samples } = parseExposition(r.exposition());
    const series = samples.filter((s) => s.name === 'per_tag_total');
    assert.equal(series.length, 4);
    assert.equal(find(samples, 'per_tag_total', { account: 'a', tag: 't0' })?.value, 6);
    assert.equal(find(samples, 'per_tag_total', { account: OVERFLOW_LABEL_VALUE, tag: OVERFLOW_LABEL_VALUE })?.value, 7);
    assert.equal(
      series.reduce((n, s) => n + s.value, 0),
      15,
      'nothing is lost to the bound',
    );
  });

  it('refuses invalid metric names, label names, bucket lists and duplicate registrations', () => {
    const r = new MetricsRegistry();
    assert.throws(() => r.counter({ name: '1bad', help: '' }), MetricDefinitionError);
    assert.throws(() => r.counter({ name: 'ok_total', help: '', labelNames: ['__reserved'] }), MetricDefinitionError);
    assert.throws(() => r.histogram({ name: 'h', help: '', labelNames: ['le'], buckets: [1] }), MetricDefinitionError);
    assert.throws(() => r.histogram({ name: 'h2', help: '', buckets: [2, 1] }), MetricDefinitionError);
    r.counter({ name: 'once_total', help: '' });
    assert.throws(() => r.counter({ name: 'once_total', help: '' }), MetricDefinitionError);
  });

  it('refuses samples with missing or extra labels and counters going down', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'x_total', help: '', labelNames: ['a'] });
    assert.throws(() => c.inc({}), MetricSampleError);
    assert.throws(() => c.inc({ a: '1', b: '2' }), MetricSampleError);
    assert.throws(() => c.inc({ a: '1' }, -1), MetricSampleError);
  });

  it('runs collect callbacks before each exposition', () => {
    const r = new MetricsRegistry();
    const g = r.gauge({ name: 'depth', help: '' });
    let depth = 1;
    r.onCollect(() => g.set({}, depth));
    assert.equal(find(parseExposition(r.exposition()).samples, 'depth')?.value, 1);
    depth = 42;
    assert.equal(find(parseExposition(r.exposition()).samples, 'depth')?.value, 42);
  });
});

describe('RelayMetrics', () => {
  it('exposes sessions, messages, replies, TLS, limits, recipients, delivery latency and spool depth under their documented names', () => {
    let spool = { messages: 3, oldestAgeSeconds: 120 };
    const m = new RelayMetrics({ spoolDepth: () => spool });
    m.sessionOpened();
    m.sessionOpened();
    m.sessionClosed('quit');
    m.messageAccepted('demo', 'welcome', 2048, 2);
    m.messageRejected(554);
    m.reply(250);
    m.reply(250);
    m.reply(554);
    m.tlsHandshake('TLSv1.3');
    m.limitHit('maxRecipients');
    m.recipientEvent({ type: 'accepted' });
    m.recipientEvent({ type: 'accepted' });
    m.recipientEvent({ type: 'delivered' });
    m.deliveryAttempt('outbox', 'delivered', 0.02);
    const { samples, types } = parseExposition(m.exposition());
    const value = (name: string, labels: Record<string, string> = {}): number | undefined => find(samples, name, labels)?.value;
    assert.equal(value('txrelay_sessions_opened_total'), 2);
    assert.equal(value('txrelay_sessions_active'), 1);
    assert.equal(value('txrelay_sessions_closed_total', { reason: 'quit' }), 1);
    assert.equal(value('txrelay_messages_total', { outcome: 'accepted' }), 1);
    assert.equal(value('txrelay_messages_total', { outcome: 'rejected' }), 1);
    assert.equal(value('txrelay_messages_accepted_total', { account: 'demo', tag: 'welcome' }), 1);
    assert.equal(value('txrelay_messages_rejected_total', { code: '554' }), 1);
    assert.equal(value('txrelay_accepted_bytes_total'), 2048);
    assert.equal(value('txrelay_smtp_replies_total', { code: '250' }), 2);
    assert.equal(value('txrelay_tls_handshakes_total', { version: 'TLSv1.3' }), 1);
    assert.equal(value('txrelay_limits_hit_total', { limit: 'maxRecipients' }), 1);
    assert.equal(value('txrelay_recipients_total', { outcome: 'accepted' }), 2);
    assert.equal(value('txrelay_delivery_attempts_total', { route: 'outbox', outcome: 'delivered' }), 1);
    assert.equal(value('txrelay_delivery_duration_seconds_bucket', { route: 'outbox', le: '0.025' }), 1);
    assert.equal(value('txrelay_delivery_duration_seconds_bucket', { route: 'outbox', le: '0.01' }), 0);
    assert.equal(value('txrelay_spool_messages'), 3);
    assert.equal(value('txrelay_spool_oldest_age_seconds'), 120);
    assert.equal(types.get('txrelay_message_size_bytes'), 'histogram');
    spool = { messages: 0, oldestAgeSeconds: 0 };
    assert.equal(find(parseExposition(m.exposition()).samples, 'txrelay_spool_messages')?.value, 0);
  });

  it('derives spool depth and the oldest message age from the spool\'s pending messages', () => {
    const now = 1_000_000;
    assert.deepEqual(spoolDepthOf({ pending: () => [] }, now), { messages: 0, oldestAgeSeconds: 0 });
    assert.deepEqual(spoolDepthOf({ pending: () => [{ createdAt: now - 5000 }, { createdAt: now - 90_000 }, { createdAt: now }] }, now), { messages: 3, oldestAgeSeconds: 90 });
  });
});
