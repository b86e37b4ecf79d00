// `npm run bench`: every suite in bench/suites, one table, ours beside the peer measured in the same run.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow, BenchSuite } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const only = process.argv.filter((a) => !a.startsWith('--')).slice(2);
const started = Date.now();
const progress = (line: string): void => {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
};

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

async function main(): Promise<void> {
  const dir = join(here, 'suites');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    const suite = (await import(join(dir, file))).default as BenchSuite;
    if (only.length > 0 && !only.some((o) => suite.name.includes(o))) continue;
    progress(`suite ${suite.name}`);
    rows.push(...(await suite.run({ quick, progress })));
  }
  const lines = ['| suite | benchmark | ours | peer | peer figure | ratio |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const ratio = r.peer ? (r.higherIsBetter ? r.ours / r.peer.value : r.peer.value / r.ours) : NaN;
    lines.push(
      `| ${r.suite} | ${r.name} | ${fmt(r.ours)} ${r.unit} | ${r.peer?.name ?? '-'} | ${r.peer ? `${fmt(r.peer.value)} ${r.unit}` : '-'} | ${Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}x`} |`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
