// End to end (delivery issue): the load generator sends to the relay, whose `smtp` route delivers to a local
// upstream in a process of its own (Postfix's smtp-sink when installed, else smtp-server discarding), which counts
// what it receives. Accepted msgs/s is measured at the client; delivered msgs/s runs until the upstream has every
// accepted message. The peer is smtp-server + mailparser accepting only. Like the peer, the relay is warmed up with
// half the load (delivered too) before the measured run.
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { errorSummary, measureServerLoad } from '../load-measure.js';
import { runLoad, type LoadOptions } from '../loadgen.js';
import { startUpstream, type Upstream } from '../relay/upstream.js';
import { cpuMicrosBetween, startServerChild } from '../servers/child.js';

const SUITE = 'relay-delivery';
const API_KEY = 'txr_bench_key_000000000000000000000000000000000';
const RELAY = new URL('../relay/relay-child.js', import.meta.url);
const PEER = { name: 'smtp-server+mailparser (accept only)', script: new URL('../relay/peer-child.js', import.meta.url) };

/** Waits until the upstream has received `count` messages or `timeoutMs` passed; returns when it had them. */
async function untilReceived(upstream: Upstream, count: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (upstream.received() < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return performance.now();
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const count = ctx.quick ? 2000 : 20000;
  const load: Omit<LoadOptions, 'port'> = { sessions: 20, count, messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048, headerApiKey: API_KEY };

  ctx.progress(`${SUITE}: ${count} x 2 KB, 20 sessions: ${PEER.name}`);
  const peer = await measureServerLoad(PEER.script, { apiKey: API_KEY }, load);
  ctx.progress(`${SUITE}:   peer: ${peer.result.msgsPerSec.toFixed(0)} msgs/s, errors ${errorSummary(peer.result)}`);

  const upstream = await startUpstream();
  const title = `${count.toLocaleString('en-US')} x 2 KB, 20 sessions, smtp route to ${upstream.name}`;
  const relay = await startServerChild(RELAY, { apiKey: API_KEY, hold: false, upstreamPort: upstream.port });
  try {
    ctx.progress(`${SUITE}: ${title}: txrelay`);
    const warmup = await runLoad({ ...load, count: Math.max(500, Math.floor(count / 2)), port: relay.port, timeLimitMs: 120_000 });
    await untilReceived(upstream, warmup.messages, 120_000);
    const base = upstream.received();
    const before = await relay.stats();
    const started = performance.now();
    const result = await runLoad({ ...load, port: relay.port, timeLimitMs: 600_000 });
    const ended = await untilReceived(upstream, base + result.messages, 300_000);
    const after = await relay.stats();
    const seconds = (ended - started) / 1000;
    const delivered = upstream.received() - base;
    const deliveredPerSec = delivered / seconds;
    const cpuPerMessage = cpuMicrosBetween(before, after) / Math.max(1, delivered);
    ctx.progress(
      `${SUITE}:   txrelay: accepted ${result.messages} at ${result.msgsPerSec.toFixed(0)} msgs/s, delivered ${delivered} in ${seconds.toFixed(2)} s = ` +
        `${deliveredPerSec.toFixed(0)} msgs/s, relay CPU ${cpuPerMessage.toFixed(0)} µs/msg, errors ${errorSummary(result)}`,
    );
    const extra = { upstream: upstream.name, delivered, 'relay CPU µs/msg (accept + deliver)': cpuPerMessage, 'accepted errors': errorSummary(result) };
    return [
      { suite: SUITE, name: `${title}: accepted`, unit: 'msgs/s', ours: result.msgsPerSec, peer: { name: PEER.name, value: peer.result.msgsPerSec }, higherIsBetter: true, extra },
      { suite: SUITE, name: `${title}: delivered (until the upstream has every message)`, unit: 'msgs/s', ours: deliveredPerSec, peer: { name: PEER.name, value: peer.result.msgsPerSec }, higherIsBetter: true, extra },
    ];
  } finally {
    await relay.stop();
    await upstream.close();
  }
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
