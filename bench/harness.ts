// Shared shapes for every benchmark suite. `bench/run.ts` loads each module in bench/suites/ and prints one table.
import { Bench } from 'tinybench';

/** One figure of ours beside the peer's figure measured in the same run. */
export interface BenchRow {
  suite: string;
  name: string;
  unit: string; // e.g. "ops/s", "msgs/s", "MB/s", "µs/msg"
  ours: number;
  peer?: { name: string; value: number } | undefined;
  /** True when a bigger number is better (ops/s); false for costs (µs/msg, MB of RSS). */
  higherIsBetter: boolean;
  /** Extra figures (p50, p99, CPU, heap, ...). */
  extra?: Record<string, number | string> | undefined;
}

export interface BenchContext {
  /** Short run for CI (`bench:ci`): fewer iterations, smaller loads. */
  quick: boolean;
  progress(line: string): void;
}

export interface BenchSuite {
  name: string;
  /** Why `bench:ci` leaves this suite out (too long, or nothing to gate), if it does. */
  ciSkip?: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** Runs tinybench tasks and returns ops/s by task name. */
export async function opsPerSecond(
  tasks: Record<string, () => unknown | Promise<unknown>>,
  ctx: BenchContext,
): Promise<Record<string, number>> {
  const bench = new Bench({ time: ctx.quick ? 300 : 1500, warmupTime: ctx.quick ? 100 : 300 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out: Record<string, number> = {};
  for (const task of bench.tasks) {
    const r = task.result as { throughput?: { mean: number } } | undefined;
    out[task.name] = r?.throughput?.mean ?? 0;
  }
  return out;
}
