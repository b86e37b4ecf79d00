// Random whole SMTP sessions against the full relay, SESSION_FUZZ_RUNS (default 20,000).
import { test } from 'node:test';
import { runSessionFuzz } from '../test/reliability/session-fuzz.js';

const RUNS = Number(process.env['SESSION_FUZZ_RUNS'] ?? 20_000);

test(`fuzz (soak): ${RUNS} random SMTP sessions get well-formed replies and end`, { timeout: 60 * 60_000 }, async () => {
  const f = await runSessionFuzz(RUNS);
  console.log(`session-fuzz-soak: ${f.cases} sessions, ${f.replies} replies, slowest session ${f.maxSessionMs} ms`);
});
