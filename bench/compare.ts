// `npm run bench:compare A.json B.json`: the change of every figure from run A to run B.
import { readFileSync } from 'node:fs';
import { rowKey, type BenchResults } from './results-file.js';

function load(path: string): BenchResults {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
}

function main(argv: string[]): number {
  if (argv.length !== 2) {
    process.stderr.write('usage: npm run bench:compare -- A.json B.json\n');
    return 2;
  }
  const [a, b] = [load(argv[0]!), load(argv[1]!)];
  process.stdout.write(`A: ${a.date} ${a.commit} (${a.machine.cpu}, Node ${a.machine.node})\nB: ${b.date} ${b.commit} (${b.machine.cpu}, Node ${b.machine.node})\n\n`);
  process.stdout.write('| figure | A | B | change | ratio A | ratio B |\n|---|---|---|---|---|---|\n');
  const byKey = new Map(a.rows.map((r) => [rowKey(r), r]));
  for (const rb of b.rows) {
    const ra = byKey.get(rowKey(rb));
    if (!ra) {
      process.stdout.write(`| ${rowKey(rb)} | - | ${rb.ours.toPrecision(4)} ${rb.unit} | new | - | ${rb.ratio?.toFixed(2) ?? '-'} |\n`);
      continue;
    }
    // Positive change = better, whatever the direction of the unit.
    const change = ((rb.higherIsBetter ? rb.ours / ra.ours : ra.ours / rb.ours) - 1) * 100;
    process.stdout.write(
      `| ${rowKey(rb)} | ${ra.ours.toPrecision(4)} | ${rb.ours.toPrecision(4)} ${rb.unit} | ${change >= 0 ? '+' : ''}${change.toFixed(1)}% | ${ra.ratio?.toFixed(2) ?? '-'} | ${rb.ratio?.toFixed(2) ?? '-'} |\n`,
    );
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
