// Random whole SMTP sessions against the full relay (SESSION_FUZZ_RUNS, default 500; the soak runs 20,000).
import { test } from 'node:test';
import { runSessionFuzz } from './session-fuzz.js';

const RUNS = Number(process.env['SESSION_FUZZ_RUNS'] ?? 500);

test(`fuzz: ${RUNS} random SMTP sessions (commands, DATA, BDAT, AUTH, bare CR/LF, long lines, random chunking) get well-formed replies and end`, { timeout: 120_000 }, async () => {
  const f = await runSessionFuzz(RUNS);
  console.log(`session fuzz: ${f.cases} sessions, ${f.replies} replies, slowest session ${f.maxSessionMs} ms`);
});
