// Memory with many idle sessions (10,000 plaintext, 1,000 after STARTTLS): the relay and smtp-server + mailparser,
// each in its own child process, same run. Goal of the bench issue: 10,000 idle sessions in at most 250 MB RSS.
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { openIdleSessions } from '../idle-sessions.js';
import { startServerChild } from '../servers/child.js';
import { createTestCertificate } from '../servers/tls-cert.js';

const SUITE = 'memory';
const API_KEY = 'txr_bench_key_000000000000000000000000000000000';
const OURS = { name: 'txrelay', script: new URL('../relay/relay-child.js', import.meta.url) };
const PEER = { name: 'smtp-server+mailparser', script: new URL('../relay/peer-child.js', import.meta.url) };

interface Idle {
  rssMB: number;
  heapMB: number;
  opened: number;
  failed: number;
}

async function measureIdle(script: URL, options: unknown, count: number, tls: boolean): Promise<Idle> {
  const child = await startServerChild(script, options);
  try {
    const sessions = await openIdleSessions(child.port, count, tls);
    // Let the servers settle (timers armed, buffers released) before reading.
    await new Promise((r) => setTimeout(r, 1000));
    const s = await child.stats();
    sessions.close();
    return { rssMB: s.memory.rss / 1048576, heapMB: s.memory.heapUsed / 1048576, opened: sessions.opened, failed: sessions.failed };
  } finally {
    await child.stop();
  }
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cert = createTestCertificate();
  try {
    const cases = [
      { title: `${ctx.quick ? '2,000' : '10,000'} idle plaintext sessions`, count: ctx.quick ? 2000 : 10000, tls: false },
      { title: `${ctx.quick ? '200' : '1,000'} idle TLS sessions`, count: ctx.quick ? 200 : 1000, tls: true },
    ];
    for (const c of cases) {
      const options = { apiKey: API_KEY, tls: { keyPath: cert.keyPath, certPath: cert.certPath } };
      ctx.progress(`${SUITE}: ${c.title} against ${PEER.name}`);
      const peer = await measureIdle(PEER.script, options, c.count, c.tls);
      ctx.progress(`${SUITE}:   ${PEER.name}: ${peer.opened} open (${peer.failed} failed), RSS ${peer.rssMB.toFixed(0)} MB, heap ${peer.heapMB.toFixed(0)} MB`);
      ctx.progress(`${SUITE}: ${c.title} against ${OURS.name}`);
      const ours = await measureIdle(OURS.script, options, c.count, c.tls);
      ctx.progress(`${SUITE}:   ${OURS.name}: ${ours.opened} open (${ours.failed} failed), RSS ${ours.rssMB.toFixed(0)} MB, heap ${ours.heapMB.toFixed(0)} MB`);
      const extra = { 'ours heap MB': Math.round(ours.heapMB), 'peer heap MB': Math.round(peer.heapMB), 'ours sessions open': ours.opened, 'peer sessions open': peer.opened };
      rows.push({ suite: SUITE, name: `${c.title}: RSS`, unit: 'MB', ours: ours.rssMB, peer: { name: PEER.name, value: peer.rssMB }, higherIsBetter: false, extra });
    }
  } finally {
    cert.remove();
  }
  return rows;
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
