// Upstream chaos under load (SPEC §5): the smarthost flaps (listener closed and reopened), answers slowly and
// refuses recipients at random with 4xx/5xx. Every accepted recipient must end delivered, failed (5xx) or queued
// with a retry, and the event log must count exactly that.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../../bench/loadgen.js';
import type { StoredEvent } from '../../src/relay/storage/event-log.js';
import { KEY_A, startTestRelay, type TestRelay } from '../relay/relay-harness.js';
import { RecordingUpstream, waitUntil } from './relay-child.js';

export interface ChaosOptions {
  seconds: number;
  /** Offered load, msgs/s. */
  rate: number;
  rcptCount: number;
  flapEveryMs: number;
  downMs: number;
  slowMs: number;
  tempFailRate: number;
  permFailRate: number;
  seed: number;
  drainMs: number;
  progress?: (l: string) => void;
}

export interface ChaosFigures {
  acked: number;
  acceptedRecipients: number;
  /** At the end of the chaos window. */
  atEnd: { delivered: number; failed: number; queued: number; queuedWithoutRetry: number; unaccounted: number };
  /** After the upstream is healthy again and the queue drained. */
  final: { delivered: number; failed: number; queued: number; unaccounted: number };
  events: Record<string, number>;
  upstream: { ok: number; temp: number; perm: number; received: number; duplicates: number; flaps: number };
  loadErrors: Record<string, number>;
}

async function readAllEvents(relay: TestRelay): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const p = await relay.relay.events.read({ limit: 1000, ...(cursor ? { cursor } : {}) });
    all.push(...p.events);
    if (p.next === null) break;
    cursor = p.next;
  }
  return all;
}

export async function runChaosScenario(o: ChaosOptions): Promise<ChaosFigures> {
  const upstream = new RecordingUpstream(o.seed);
  await upstream.start();
  upstream.faults = { slowMs: o.slowMs, tempFailRate: o.tempFailRate, permFailRate: o.permFailRate };
  const t = await startTestRelay((json) => {
    json['queue'] = { retryMinMs: 100, retryMaxMs: 1000 };
    json['limits'] = { maxConnectionsPerAddress: 1000 };
    (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'smtp', host: '127.0.0.1', port: upstream.port, tls: 'none', poolSize: 4 };
  });
  let flapping = true;
  let flaps = 0;
  const flapper = (async () => {
    while (flapping) {
      await sleep(o.flapEveryMs);
      if (!flapping) break;
      await upstream.stop();
      flaps++;
      await sleep(o.downMs);
      await upstream.start();
    }
  })();
  try {
    const load = await runLoad({
      port: t.port,
      sessions: 10,
      count: Math.round(o.rate * o.seconds),
      rate: o.rate,
      rcptCount: o.rcptCount,
      recipient: (i, r) => `u${i}-${r}@example.net`, // distinct addresses: a hard bounce suppresses only its own
      messagesPerConnection: 10,
      headerApiKey: KEY_A,
      messageSize: 2048,
      timeLimitMs: (o.seconds + 60) * 1000,
    });
    o.progress?.(`chaos: load done: ${load.acked.length}/${load.attempted} acked, errors ${JSON.stringify(load.errors)}`);
    flapping = false;
    await flapper;

    // The spool is read first, then the event log, then the upstream: a recipient finishing in between is
    // still pending in the first snapshot, or its event / delivery is already visible in the later reads.
    let pendingSnapshot = new Map<string, ReturnType<typeof t.relay.spool.pending>[number]>();
    const classify = (): { delivered: number; failed: number; queued: number; queuedWithoutRetry: number; unaccounted: number } => {
      const delivered = new Set(upstream.received.keys());
      const pending = pendingSnapshot;
      let d = 0, f = 0, q = 0, qNoRetry = 0, u = 0;
      for (const id of load.acked) {
        const entry = pending.get(id);
        for (let r = 0; r < o.rcptCount; r++) {
          const state = entry?.recipients[r];
          // The relay's own outcome first: a flap can lose the upstream's 250, and the retry may then be refused
          // with a 5xx, so the upstream holds a copy of a recipient the relay (rightly) records as failed.
          if (state?.status === 'failed' || (!state && failedSet.has(`${id}/${r}`))) f++;
          else if (delivered.has(`${id}.${r}@relay.test`) || state?.status === 'delivered') d++;
          else if (state?.status === 'pending') {
            q++;
            // "A future retry": scheduled (nextAttemptAt set) or never tried yet / being tried right now.
            if (state.attempts > 0 && state.nextAttemptAt === 0) qNoRetry++;
          } else u++;
        }
      }
      return { delivered: d, failed: f, queued: q, queuedWithoutRetry: qNoRetry, unaccounted: u };
    };
    let failedSet = new Set<string>();
    const refreshFailed = async (): Promise<StoredEvent[]> => {
      pendingSnapshot = new Map(t.relay.spool.pending().map((e) => [e.id, e]));
      const events = await readAllEvents(t);
      failedSet = new Set(events.filter((e) => e.type === 'failed').map((e) => `${e.id}/${recipientIndex(e)}`));
      return events;
    };
    const recipientIndex = (e: StoredEvent): number => Number(/^u\d+-(\d+)@/.exec(e.recipient ?? '')?.[1] ?? -1);
    await refreshFailed();
    const atEnd = classify();

    // Chaos over: the upstream stays up and healthy; the queue drains within its retry bound.
    upstream.faults = {};
    await waitUntil(async () => {
      await refreshFailed();
      const c = classify();
      return c.queued === 0 && c.unaccounted === 0;
    }, o.drainMs, 250);
    const events = await refreshFailed();
    const final = classify();
    const counts: Record<string, number> = {};
    for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
    return {
      acked: load.acked.length,
      acceptedRecipients: load.acked.length * o.rcptCount,
      atEnd,
      final: { delivered: final.delivered, failed: final.failed, queued: final.queued, unaccounted: final.unaccounted },
      events: counts,
      upstream: { ...upstream.rcptReplies, received: [...upstream.received.values()].reduce((a, b) => a + b, 0), duplicates: upstream.duplicates(), flaps },
      loadErrors: load.errors,
    };
  } finally {
    flapping = false;
    await flapper;
    await t.stop();
    await upstream.stop();
  }
}

/** The verdict shared by the short and the soak run. */
export function checkChaos(f: ChaosFigures): void {
  assert.ok(f.acked > 0);
  assert.equal(f.atEnd.unaccounted, 0, 'a recipient neither delivered, failed nor queued at the end of the chaos');
  assert.equal(f.atEnd.queuedWithoutRetry, 0);
  assert.equal(f.final.unaccounted, 0);
  assert.equal(f.final.queued, 0);
  assert.equal(f.final.delivered + f.final.failed, f.acceptedRecipients);
  assert.equal(f.events['accepted'], f.acceptedRecipients);
  assert.equal(f.events['delivered'] ?? 0, f.final.delivered);
  assert.equal(f.events['failed'] ?? 0, f.final.failed);
  assert.ok((f.events['deferred'] ?? 0) >= f.upstream.temp, 'every 4xx from the upstream is a deferred event');
  assert.ok(f.final.failed <= f.upstream.perm, 'only a 5xx fails a recipient');
}
