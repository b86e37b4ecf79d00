// `npm run bench`: every suite in bench/suites, one table, ours beside the peer measured in the same run.
// --quick: smaller loads. --ci: quick, plus the floors of bench/floors.json (exit 1 when a ratio falls below).
// Results go to bench/results/<date>-<commit>.json (fast-json-stable-stringify) for `npm run bench:compare`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import stringify from 'fast-json-stable-stringify';
import type { BenchRow, BenchSuite } from './harness.js';
import { gitCommit, machineFacts, rate, rowKey, type BenchResults, type RatedRow } from './results-file.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const ci = process.argv.includes('--ci');
const quick = ci || process.argv.includes('--quick');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const started = Date.now();
const progress = (line: string): void => {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
};

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

export function table(rows: readonly RatedRow[]): string {
  const lines = ['| suite | benchmark | ours | peer | peer figure | ratio |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(
      `| ${r.suite} | ${r.name} | ${fmt(r.ours)} ${r.unit} | ${r.peer?.name ?? '-'} | ${r.peer ? `${fmt(r.peer.value)} ${r.unit}` : '-'} | ${r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The figures behind each row (latency percentiles, RSS, errors), one line per row that has any. */
export function details(rows: readonly RatedRow[]): string {
  const out: string[] = [];
  for (const r of rows) {
    if (!r.extra || Object.keys(r.extra).length === 0) continue;
    const parts = Object.entries(r.extra).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`);
    out.push(`- ${r.suite}: ${r.name}: ${parts.join(', ')}`);
  }
  return out.length === 0 ? '' : `\n${out.join('\n')}\n`;
}

/** Floors are ratios to the same-run peer, never absolute times: machine noise moves both sides. */
function checkFloors(rows: readonly RatedRow[]): string[] {
  const floors = JSON.parse(readFileSync(join(repo, 'bench', 'floors.json'), 'utf8')) as Record<string, number>;
  const failures: string[] = [];
  for (const [key, floor] of Object.entries(floors)) {
    if (key.startsWith('//')) continue;
    const row = rows.find((r) => rowKey(r) === key);
    if (!row) failures.push(`${key}: no such figure in this run`);
    else if (row.ratio === null || row.ratio < floor) failures.push(`${key}: ratio ${row.ratio?.toFixed(2) ?? 'n/a'} is below the floor ${floor}`);
  }
  return failures;
}

/** Busy and total CPU time of the machine (Linux /proc/stat), or null elsewhere. */
function cpuTimes(): { idle: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3]! + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/**
 * Before each suite: flush dirty pages (`sync`) and wait until the machine is quiet (at least 90% idle over
 * half a second, for at most 20 s). Suites that write and delete a lot (spool, relay) leave the kernel
 * writing back and discarding for seconds; measured then, the next suite's figures were up to a third lower.
 */
async function settle(): Promise<void> {
  const t0 = Date.now();
  try {
    execFileSync('sync', { stdio: 'ignore' });
  } catch {
    // Not everywhere; the idle wait below still applies.
  }
  for (let i = 0; i < 40; i++) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuTimes();
    if (!a || !b || b.total === a.total) return;
    if ((b.idle - a.idle) / (b.total - a.total) >= 0.9) break;
  }
  const waited = (Date.now() - t0) / 1000;
  if (waited > 1.5) progress(`settled for ${waited.toFixed(1)} s (sync, then waited for an idle machine)`);
}

async function main(): Promise<void> {
  const dir = join(here, 'suites');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  const rows: BenchRow[] = [];
  const failed: string[] = [];
  for (const file of files) {
    const suite = (await import(join(dir, file))).default as BenchSuite;
    if (only.length > 0 && !only.some((o) => suite.name.includes(o))) continue;
    if (ci && suite.ciSkip) {
      progress(`suite ${suite.name}: skipped in --ci (${suite.ciSkip})`);
      continue;
    }
    await settle();
    progress(`suite ${suite.name}`);
    const t0 = Date.now();
    try {
      rows.push(...(await suite.run({ quick, progress })));
      progress(`suite ${suite.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      // One broken suite must not hide the others' figures; the run still fails at the end.
      failed.push(`${suite.name}: ${err instanceof Error ? err.message : String(err)}`);
      progress(`suite ${suite.name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  const rated = rows.map(rate);
  const results: BenchResults = { date: new Date().toISOString(), commit: gitCommit(), quick, machine: machineFacts(), rows: rated };
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  const out = join(repo, 'bench', 'results', `${results.date.slice(0, 19).replace(/[:T]/g, '-')}-${results.commit}${quick ? '-quick' : ''}.json`);
  writeFileSync(out, stringify(results) + '\n');
  const m = results.machine;
  process.stdout.write(`${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, Node ${m.node}, commit ${results.commit}${quick ? ' (quick)' : ''}\n\n`);
  process.stdout.write(table(rated));
  process.stdout.write(details(rated));
  process.stdout.write(`\nresults: ${out}\n`);
  if (failed.length > 0) {
    process.stdout.write(`\n${failed.length} suite(s) failed:\n${failed.map((f) => `  ${f}`).join('\n')}\n`);
    process.exitCode = 1;
  }
  if (ci) {
    const failures = checkFloors(rated);
    if (failures.length > 0) {
      process.stdout.write(`\nbench:ci FAILED, ${failures.length} figure(s) below their floor in bench/floors.json:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
      process.exitCode = 1;
    } else process.stdout.write('\nbench:ci: every gated ratio is at or above its floor\n');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
