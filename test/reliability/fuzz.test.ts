// Fuzzing (fast-check) of every parser that reads client input: 10^4 cases per target by default
// (FUZZ_RUNS overrides; the soak runs 10^6), no crash, no hang, bounded heap.
import { test } from 'node:test';
import { FUZZ_TARGETS, runFuzzTarget } from './fuzz-targets.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);

for (const target of FUZZ_TARGETS) {
  test(`fuzz: ${target.name}`, () => {
    const f = runFuzzTarget(target, RUNS);
    console.log(`fuzz ${target.name}: ${f.cases} cases in ${f.seconds.toFixed(1)} s, slowest ${f.maxCaseMs.toFixed(1)} ms, heap ${f.heapGrowthMB >= 0 ? '+' : ''}${f.heapGrowthMB.toFixed(1)} MB`);
  });
}
