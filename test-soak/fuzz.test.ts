// Long fuzzing run: 10^6 cases per target (FUZZ_RUNS overrides), same targets and checks as test/reliability/fuzz.test.ts.
import { test } from 'node:test';
import { FUZZ_TARGETS, runFuzzTarget } from '../test/reliability/fuzz-targets.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 1_000_000);

for (const target of FUZZ_TARGETS) {
  test(`fuzz (soak, ${RUNS} cases): ${target.name}`, { timeout: 30 * 60_000 }, () => {
    const f = runFuzzTarget(target, RUNS, { maxCaseMs: 1000, maxHeapGrowthMB: 128 });
    console.log(`fuzz-soak ${target.name}: ${f.cases} cases in ${f.seconds.toFixed(1)} s, slowest ${f.maxCaseMs.toFixed(1)} ms, heap ${f.heapGrowthMB >= 0 ? '+' : ''}${f.heapGrowthMB.toFixed(1)} MB`);
  });
}
