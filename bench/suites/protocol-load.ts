// Server load: the same SMTP load against our engine and against the `smtp-server` package, both
// discarding messages in a child process of their own, so each server's CPU time is its own.
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { errorSummary, measureServerLoad, type LoadMeasurement } from '../load-measure.js';
import type { LoadOptions } from '../loadgen.js';
import type { DiscardServerOptions } from '../servers/child-messages.js';
import { createTestCertificate, type TestCertificate } from '../servers/tls-cert.js';

const SUITE = 'protocol-load';
const AUTH_KEY = 'bench-api-key';

interface ServerUnderTest {
  name: string;
  script: URL;
}

const OURS: ServerUnderTest = { name: 'txrelay engine', script: new URL('../servers/engine-discard.js', import.meta.url) };
const PEER: ServerUnderTest = { name: 'smtp-server', script: new URL('../servers/smtp-server-discard.js', import.meta.url) };
// Canned replies, no SMTP logic: the CPU node:net itself costs for the same exchange (no TLS, so plain scenarios only).
const FLOOR: ServerUnderTest = { name: 'node:net floor', script: new URL('../servers/floor-responder.js', import.meta.url) };

interface Scenario {
  title: string;
  load: Omit<LoadOptions, 'port'>;
  secure: boolean;
  /** The headline figure: msgs/s as fast as possible, or p99 latency at a fixed offered rate. */
  headline: 'throughput' | 'latency';
}

function scenarios(quick: boolean): Scenario[] {
  const scale = quick ? 10 : 1;
  return [
    {
      title: `${(2000 / scale).toLocaleString('en-US')} single-message connections, 50 sessions, lock-step, 2 KB`,
      load: { sessions: 50, count: 2000 / scale, messagesPerConnection: 1, mode: 'lock-step', messageSize: 2048 },
      secure: false,
      headline: 'throughput',
    },
    {
      title: `${(20000 / scale).toLocaleString('en-US')} messages, 20 kept-open sessions, pipelined, 2 KB`,
      load: { sessions: 20, count: 20000 / scale, messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048 },
      secure: false,
      headline: 'throughput',
    },
    {
      title: `${(500 / scale).toLocaleString('en-US')} single-message connections, 20 sessions, lock-step, STARTTLS + AUTH PLAIN, 2 KB`,
      load: { sessions: 20, count: 500 / scale, messagesPerConnection: 1, mode: 'lock-step', messageSize: 2048, startTls: true, authKey: AUTH_KEY },
      secure: true,
      headline: 'throughput',
    },
    {
      title: `${(5000 / scale).toLocaleString('en-US')} messages offered at 1,000 msgs/s, 10 kept-open sessions, lock-step, 2 KB`,
      load: { sessions: 10, count: 5000 / scale, messagesPerConnection: 0, mode: 'lock-step', messageSize: 2048, rate: 1000 },
      secure: false,
      headline: 'latency',
    },
  ];
}

type Measurement = LoadMeasurement;

/** Starts `server` in a child, warms it up, then measures one load run and the server's CPU over it. */
function measure(server: ServerUnderTest, scenario: Scenario, options: DiscardServerOptions): Promise<Measurement> {
  return measureServerLoad(server.script, options, scenario.load);
}

function rowsFor(scenario: Scenario, ours: Measurement, peer: Measurement, floor: Measurement | null): BenchRow[] {
  const round = (n: number): number => Math.round(n * 100) / 100;
  const latencies = {
    'ours p50 ms': round(ours.result.latencyMs.p50),
    'ours p99 ms': round(ours.result.latencyMs.p99),
    'peer p50 ms': round(peer.result.latencyMs.p50),
    'peer p99 ms': round(peer.result.latencyMs.p99),
    'ours errors': errorSummary(ours.result),
    'peer errors': errorSummary(peer.result),
  };
  const headline: BenchRow =
    scenario.headline === 'throughput'
      ? {
          suite: SUITE,
          name: `${scenario.title}: throughput`,
          unit: 'msgs/s',
          ours: ours.result.msgsPerSec,
          peer: { name: PEER.name, value: peer.result.msgsPerSec },
          higherIsBetter: true,
          extra: latencies,
        }
      : {
          suite: SUITE,
          name: `${scenario.title}: p99 latency, final dot to reply`,
          unit: 'ms',
          ours: ours.result.latencyMs.p99,
          peer: { name: PEER.name, value: peer.result.latencyMs.p99 },
          higherIsBetter: false,
          extra: {
            ...latencies,
            'ours p99.9 ms': round(ours.result.latencyMs.p999),
            'peer p99.9 ms': round(peer.result.latencyMs.p999),
            'ours msgs/s': round(ours.result.msgsPerSec),
            'peer msgs/s': round(peer.result.msgsPerSec),
          },
        };
  return [
    headline,
    {
      suite: SUITE,
      name: `${scenario.title}: server CPU per message`,
      unit: 'µs/msg',
      ours: ours.cpuMicrosPerMessage,
      peer: { name: PEER.name, value: peer.cpuMicrosPerMessage },
      higherIsBetter: false,
      extra: {
        'ours RSS MB': round(ours.rssMB),
        'peer RSS MB': round(peer.rssMB),
        'loadgen µs/msg vs ours': round(ours.clientCpuMicrosPerMessage),
        'loadgen µs/msg vs peer': round(peer.clientCpuMicrosPerMessage),
        ...(floor ? { 'node:net floor µs/msg': round(floor.cpuMicrosPerMessage) } : {}),
      },
    },
  ];
}

/** One line per measurement on stderr: run.ts prints only ours/peer, not the `extra` figures. */
function summaryLine(name: string, m: Measurement): string {
  const r = m.result;
  return (
    `${SUITE}:   ${name}: ${r.messages}/${r.attempted} msgs in ${r.seconds.toFixed(2)} s = ${r.msgsPerSec.toFixed(0)} msgs/s, ` +
    `p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, server ${m.cpuMicrosPerMessage.toFixed(1)} µs/msg, ` +
    `loadgen ${m.clientCpuMicrosPerMessage.toFixed(1)} µs/msg, RSS ${m.rssMB.toFixed(0)} MB, errors ${errorSummary(r)}`
  );
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let cert: TestCertificate | null = null;
  try {
    for (const scenario of scenarios(ctx.quick)) {
      let options: DiscardServerOptions = {};
      if (scenario.secure) {
        cert ??= createTestCertificate();
        options = { tls: { keyPath: cert.keyPath, certPath: cert.certPath }, authKey: AUTH_KEY };
      }
      ctx.progress(`${SUITE}: ${scenario.title} against ${PEER.name}`);
      const peer = await measure(PEER, scenario, options);
      ctx.progress(summaryLine(PEER.name, peer));
      ctx.progress(`${SUITE}: ${scenario.title} against ${OURS.name}`);
      let ours: Measurement;
      try {
        ours = await measure(OURS, scenario, options);
      } catch (err) {
        const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
        ctx.progress(`${SUITE}: ${OURS.name} unavailable, scenario skipped: ${reason}`);
        continue;
      }
      ctx.progress(summaryLine(OURS.name, ours));
      let floor: Measurement | null = null;
      if (!scenario.secure) {
        ctx.progress(`${SUITE}: ${scenario.title} against ${FLOOR.name} (reference)`);
        floor = await measure(FLOOR, scenario, {});
        ctx.progress(summaryLine(FLOOR.name, floor));
      }
      rows.push(...rowsFor(scenario, ours, peer, floor));
    }
  } finally {
    cert?.remove();
  }
  return rows;
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
