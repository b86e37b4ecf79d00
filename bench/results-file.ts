// Bench results as stable JSON with the facts of the machine, so two runs can be compared figure by figure.
import { execFileSync } from 'node:child_process';
import { cpus, platform, release, totalmem } from 'node:os';
import type { BenchRow } from './harness.js';

export interface RatedRow extends BenchRow {
  /** ours / peer for higher-is-better figures, peer / ours for costs: above 1 means we are better. */
  ratio: number | null;
}

export interface BenchResults {
  date: string;
  commit: string;
  quick: boolean;
  machine: { cpu: string; cores: number; memoryGB: number; node: string; os: string };
  rows: RatedRow[];
}

export function rate(row: BenchRow): RatedRow {
  const ratio = row.peer && row.peer.value > 0 && row.ours > 0 ? (row.higherIsBetter ? row.ours / row.peer.value : row.peer.value / row.ours) : null;
  return { ...row, ratio };
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineFacts(): BenchResults['machine'] {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

/** The key a figure is known by across runs (floors, compare): suite, benchmark and peer. */
export function rowKey(row: Pick<BenchRow, 'suite' | 'name' | 'peer'>): string {
  return `${row.suite}: ${row.name}${row.peer ? ` vs ${row.peer.name}` : ''}`;
}
