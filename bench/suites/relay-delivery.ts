// End to end (delivery issue): the load generator sends to the relay, whose `smtp` route delivers to a local
// upstream (smtp-server, discarding and counting, in this process). Accepted msgs/s is measured at the client;
// delivered msgs/s runs until the upstream has every message. The peer is smtp-server + mailparser accepting only.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { errorSummary, measureServerLoad } from '../load-measure.js';
import { runLoad, type LoadOptions } from '../loadgen.js';
import { startServerChild } from '../servers/child.js';

const SUITE = 'relay-delivery';
const API_KEY = 'txr_bench_key_000000000000000000000000000000000';
const RELAY = new URL('../relay/relay-child.js', import.meta.url);
const PEER = { name: 'smtp-server+mailparser (accept only)', script: new URL('../relay/peer-child.js', import.meta.url) };

interface Upstream {
  port: number;
  received(): number;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  let received = 0;
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    hideSTARTTLS: true,
    maxClients: 1000,
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        received += session.envelope.rcptTo.length;
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.on('error', () => undefined);
  return { port: (server.server.address() as AddressInfo).port, received: () => received, close: () => new Promise((r) => server.close(() => r())) };
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const count = ctx.quick ? 2000 : 20000;
  const load: Omit<LoadOptions, 'port'> = { sessions: 20, count, messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048, headerApiKey: API_KEY };
  const title = `${count.toLocaleString('en-US')} x 2 KB, 20 sessions, smtp route to a local upstream`;

  ctx.progress(`${SUITE}: ${title}: ${PEER.name}`);
  const peer = await measureServerLoad(PEER.script, { apiKey: API_KEY }, load);
  ctx.progress(`${SUITE}:   peer: ${peer.result.msgsPerSec.toFixed(0)} msgs/s, errors ${errorSummary(peer.result)}`);

  const upstream = await startUpstream();
  const relay = await startServerChild(RELAY, { apiKey: API_KEY, hold: false, upstreamPort: upstream.port });
  try {
    ctx.progress(`${SUITE}: ${title}: txrelay`);
    const started = performance.now();
    const result = await runLoad({ ...load, port: relay.port, timeLimitMs: 600_000 });
    const deadline = Date.now() + 300_000;
    while (upstream.received() < result.messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    const delivered = upstream.received();
    const deliveredPerSec = delivered / seconds;
    ctx.progress(`${SUITE}:   txrelay: accepted ${result.messages} at ${result.msgsPerSec.toFixed(0)} msgs/s, delivered ${delivered} in ${seconds.toFixed(2)} s = ${deliveredPerSec.toFixed(0)} msgs/s, errors ${errorSummary(result)}`);
    const extra = { delivered, 'accepted errors': errorSummary(result) };
    return [
      { suite: SUITE, name: `${title}: accepted`, unit: 'msgs/s', ours: result.msgsPerSec, peer: { name: PEER.name, value: peer.result.msgsPerSec }, higherIsBetter: true, extra },
      { suite: SUITE, name: `${title}: delivered (until the spool is empty)`, unit: 'msgs/s', ours: deliveredPerSec, peer: { name: PEER.name, value: peer.result.msgsPerSec }, higherIsBetter: true, extra },
    ];
  } finally {
    await relay.stop();
    await upstream.close();
  }
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
