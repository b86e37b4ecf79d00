import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RelayMetrics } from '../../src/relay/admin/relay-metrics.js';
import { TopLabels } from '../../src/relay/admin/top-labels.js';

/** The destination label values of txrelay_destination_attempts_total in an exposition, with their samples. */
function destinationSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^txrelay_destination_attempts_total\{route="([^"]*)",destination="([^"]*)",outcome="([^"]*)"\} (\d+)$/gm)) {
    out.set(`${m[1]} ${m[2]} ${m[3]}`, Number(m[4]));
  }
  return out;
}

describe('TopLabels', () => {
  it('labels the first keys up to its size, then counts the rest as "other"', () => {
    const t = new TopLabels(2);
    assert.equal(t.labelOf('a'), 'a');
    assert.equal(t.labelOf('b'), 'b');
    assert.equal(t.labelOf('c'), 'other');
    assert.equal(t.labelOf('a'), 'a');
    assert.deepEqual(t.keys().sort(), ['a', 'b']);
  });

  it('a key busier than the quietest labelled one takes its label; the evicted key is reported once', () => {
    const evicted: string[] = [];
    const t = new TopLabels(2, (k) => evicted.push(k));
    for (let i = 0; i < 10; i++) t.labelOf('a');
    t.labelOf('b');
    const labels: string[] = [];
    for (let i = 0; i < 5; i++) labels.push(t.labelOf('c'));
    // c needs more than 1.25 times b's volume plus one (3 > 2.25).
    assert.deepEqual(labels, ['other', 'other', 'c', 'c', 'c']);
    assert.deepEqual(evicted, ['b']);
    assert.equal(t.labelOf('b'), 'other');
    assert.deepEqual(t.keys().sort(), ['a', 'c']);
  });

  it('size 0 labels nothing', () => {
    const t = new TopLabels(0);
    assert.equal(t.labelOf('a'), 'other');
  });

  it('tracks a bounded number of keys however many it sees', () => {
    const t = new TopLabels(3, () => {}, 100);
    for (let i = 0; i < 10; i++) t.labelOf('busy');
    for (let i = 0; i < 10_000; i++) t.labelOf(`d${i}`);
    assert.ok(t.keys().includes('busy'), 'the busiest key kept its label');
    assert.equal(t.keys().length, 3);
  });
});

describe('RelayMetrics per destination', () => {
  it('counts attempts by route, destination and outcome; past the top N, destinations are "other"', () => {
    const m = new RelayMetrics({ topDestinations: 2 });
    for (let i = 0; i < 5; i++) m.deliveryAttempt('mx', 'delivered', 0.01, 'mx.a.test');
    m.deliveryAttempt('mx', 'deferred', 0.01, 'mx.a.test');
    m.deliveryAttempt('mx', 'delivered', 0.01, 'mx.b.test');
    m.deliveryAttempt('mx', 'delivered', 0.01, 'mx.c.test');
    m.deliveryAttempt('mx', 'failed', 0.01, 'mx.d.test');
    m.deliveryAttempt('relay', 'delivered', 0.01);
    const s = destinationSamples(m.exposition());
    assert.deepEqual(
      [...s].sort(),
      [
        ['mx mx.a.test delivered', 5],
        ['mx mx.a.test deferred', 1],
        ['mx mx.b.test delivered', 1],
        ['mx other delivered', 1],
        ['mx other failed', 1],
      ].sort(),
    );
    // The route totals still count every attempt, destinations or not.
    assert.match(m.exposition(), /^txrelay_delivery_attempts_total\{route="relay",outcome="delivered"\} 1$/m);
  });

  it('a destination that leaves the top gives up its series (no counter ever goes down while it exists)', () => {
    const m = new RelayMetrics({ topDestinations: 1 });
    m.deliveryAttempt('mx', 'delivered', 0.01, 'mx.a.test');
    for (let i = 0; i < 5; i++) m.deliveryAttempt('mx', 'delivered', 0.01, 'mx.b.test');
    const s = destinationSamples(m.exposition());
    assert.equal(s.has('mx mx.a.test delivered'), false);
    assert.equal(s.get('mx mx.b.test delivered'), 3, 'counted from the attempt that gave it the label (its third)');
    assert.equal(s.get('mx other delivered'), 2);
  });
});
