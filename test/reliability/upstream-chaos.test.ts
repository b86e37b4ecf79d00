// Upstream chaos for ~10 s under load: flapping listener, slow replies, random 4xx/5xx per recipient
// (test-soak/upstream-chaos.test.ts runs it for minutes).
import { test } from 'node:test';
import { checkChaos, runChaosScenario } from './chaos-scenario.js';


test('upstream flapping, slow and refusing at random for ~10 s: every accepted recipient is delivered, failed or queued, and the event log counts match', { timeout: 120_000 }, async () => {
  const f = await runChaosScenario({ seconds: 10, rate: 40, rcptCount: 2, flapEveryMs: 2000, downMs: 700, slowMs: 150, tempFailRate: 0.2, permFailRate: 0.05, seed: 3, drainMs: 40_000 });
  console.log(`upstream chaos: ${JSON.stringify(f)}`);
  checkChaos(f);
});
