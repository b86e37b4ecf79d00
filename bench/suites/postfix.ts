// Postfix's own test tools as peers, when installed (Debian package postfix: /usr/sbin/smtp-sink, smtp-source):
// smtp-sink is a C discard server, measured with the same load and the same CPU accounting as our engine.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { errorSummary, measureServerLoad } from '../load-measure.js';
import { runLoad, type LoadOptions } from '../loadgen.js';
import { freePort, SMTP_SINK } from '../servers/smtp-sink.js';

const ENGINE = new URL('../servers/engine-discard.js', import.meta.url);
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process in microseconds, from /proc/<pid>/stat. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

async function startSink(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(SMTP_SINK, ['-u', 'nobody', `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      await runLoad({ port, count: 1, sessions: 1, timeLimitMs: 2000 });
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error('smtp-sink did not start');
}

async function measureSink(load: Omit<LoadOptions, 'port'>): Promise<{ msgsPerSec: number; cpu: number; errors: string }> {
  const { port, child } = await startSink();
  try {
    await runLoad({ ...load, port, count: Math.max(50, Math.floor(load.count / 10)), timeLimitMs: 60_000 });
    const before = cpuMicros(child.pid!);
    const result = await runLoad({ ...load, port, timeLimitMs: 600_000 });
    const cpu = (cpuMicros(child.pid!) - before) / Math.max(1, result.messages);
    return { msgsPerSec: result.msgsPerSec, cpu, errors: errorSummary(result) };
  } finally {
    child.kill('SIGTERM');
  }
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  if (!existsSync(SMTP_SINK)) {
    ctx.progress(`postfix: ${SMTP_SINK} not installed (Debian package postfix), suite skipped`);
    return [];
  }
  const s = ctx.quick ? 10 : 1;
  const scenarios: { title: string; load: Omit<LoadOptions, 'port'> }[] = [
    { title: `${(2000 / s).toLocaleString('en-US')} single-message connections, 50 sessions, lock-step, 2 KB`, load: { sessions: 50, count: 2000 / s, messagesPerConnection: 1, mode: 'lock-step', messageSize: 2048 } },
    { title: `${(20000 / s).toLocaleString('en-US')} messages, 20 kept-open sessions, pipelined, 2 KB`, load: { sessions: 20, count: 20000 / s, messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048 } },
  ];
  const rows: BenchRow[] = [];
  for (const sc of scenarios) {
    ctx.progress(`postfix: ${sc.title}: smtp-sink`);
    const sink = await measureSink(sc.load);
    ctx.progress(`postfix:   smtp-sink: ${sink.msgsPerSec.toFixed(0)} msgs/s, ${sink.cpu.toFixed(1)} µs/msg (10 ms tick resolution), errors ${sink.errors}`);
    ctx.progress(`postfix: ${sc.title}: txrelay engine`);
    const ours = await measureServerLoad(ENGINE, {}, sc.load);
    ctx.progress(`postfix:   txrelay engine: ${ours.result.msgsPerSec.toFixed(0)} msgs/s, ${ours.cpuMicrosPerMessage.toFixed(1)} µs/msg, errors ${errorSummary(ours.result)}`);
    rows.push(
      { suite: 'postfix', name: `${sc.title}: throughput (engine, discard)`, unit: 'msgs/s', ours: ours.result.msgsPerSec, peer: { name: 'Postfix smtp-sink', value: sink.msgsPerSec }, higherIsBetter: true },
      { suite: 'postfix', name: `${sc.title}: server CPU per message (engine, discard)`, unit: 'µs/msg', ours: ours.cpuMicrosPerMessage, peer: { name: 'Postfix smtp-sink', value: sink.cpu }, higherIsBetter: false },
    );
  }
  return rows;
}

const suite: BenchSuite = { name: 'postfix', ciSkip: 'optional peer; not installed in CI', run };
export default suite;
