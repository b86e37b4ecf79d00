// Spool enqueue throughput: 20 concurrent writers (and 1, for latency), 2 KB bodies, durable before resolve.
// Peer: the naive durable write per message (temp file, fsync, rename, fsync folder), same concurrency, same disk.
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { Spool, createSpoolId } from '../../src/relay/storage/spool/index.js';
import type { SpoolMessage } from '../../src/relay/storage/spool/index.js';

const BODY = Buffer.alloc(2048, 'x');

interface DriveResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `op` from `writers` concurrent loops for `ms` milliseconds. */
async function drive(writers: number, ms: number, op: () => Promise<void>): Promise<DriveResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await op();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: (latencies.length * 1000) / elapsed, p50Ms: at(0.5), p99Ms: at(0.99) };
}

function message(): SpoolMessage {
  return { id: createSpoolId(), account: 'bench', route: 'outbox', tag: 'bench', from: 'bench@example.com', createdAt: Date.now(), recipients: [{ recipient: 'to@example.com', body: BODY }] };
}

async function naiveWrite(dir: string): Promise<void> {
  const id = createSpoolId();
  const temp = join(dir, `${id}.tmp`);
  const fh = await open(temp, 'wx', 0o600);
  await fh.write(BODY, 0, BODY.length, 0);
  await fh.sync();
  await fh.close();
  await rename(temp, join(dir, `${id}.msg`));
  const d = await open(dir, 'r');
  await d.sync();
  await d.close();
}

/** Ours and the naive peer with `writers` concurrent writers, each in a fresh folder. */
async function compare(base: string, writers: number, ms: number): Promise<BenchRow> {
  // Nothing is delivered here, so lift the pending bounds above what a run can enqueue on a fast disk.
  const spool = await Spool.open(join(base, `spool-${writers}`), { maxPendingMessages: 10_000_000, maxPendingBytes: 64 * 1024 ** 3 });
  const ours = await drive(writers, ms, async () => {
    await spool.enqueue(message());
  });
  const perSync = spool.stats().messages / Math.max(1, spool.batches);
  await spool.close();
  const naiveDir = join(base, `naive-${writers}`);
  await mkdir(naiveDir);
  const peer = await drive(writers, ms, () => naiveWrite(naiveDir));
  return {
    suite: 'spool',
    name: `enqueue, ${writers} concurrent writer${writers === 1 ? '' : 's'}, 2 KB, fsynced`,
    unit: 'msgs/s',
    ours: ours.perSecond,
    peer: { name: 'file+fsync+rename+dir fsync per message', value: peer.perSecond },
    higherIsBetter: true,
    extra: {
      'ours p50 ms': ours.p50Ms.toFixed(2),
      'ours p99 ms': ours.p99Ms.toFixed(2),
      'peer p50 ms': peer.p50Ms.toFixed(2),
      'peer p99 ms': peer.p99Ms.toFixed(2),
      'messages per fdatasync': perSync.toFixed(1),
    },
  };
}

const suite: BenchSuite = {
  name: 'spool',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const ms = ctx.quick ? 1000 : 3000;
    const base = await mkdtemp(join(tmpdir(), 'txrelay-bench-spool-'));
    try {
      ctx.progress(`spool: 20 writers then 1 writer, 2 KB bodies, ${ms} ms per run`);
      return [await compare(base, 20, ms), await compare(base, 1, ms)];
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  },
};

export default suite;
