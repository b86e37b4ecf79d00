// Upstream chaos for CHAOS_SECONDS (default 180) under load: flapping, slow, random 4xx/5xx per recipient.
import { test } from 'node:test';
import { checkChaos, runChaosScenario } from '../test/reliability/chaos-scenario.js';

const SECONDS = Number(process.env['CHAOS_SECONDS'] ?? 180);

test(`upstream chaos for ${SECONDS} s: every accepted recipient is delivered, failed or queued; event log counts match`, { timeout: (SECONDS + 600) * 1000 }, async () => {
  const f = await runChaosScenario({ seconds: SECONDS, rate: 40, rcptCount: 2, flapEveryMs: 3000, downMs: 1000, slowMs: 150, tempFailRate: 0.2, permFailRate: 0.05, seed: 5, drainMs: 120_000, progress: (l) => console.log(l) });
  console.log(`upstream chaos soak: ${JSON.stringify(f)}`);
  checkChaos(f);
});
