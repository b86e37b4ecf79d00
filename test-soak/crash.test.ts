// Crash safety soak: kill -9 at random moments (CRASH_KILLS, default 20) while 20 sessions send CRASH_MESSAGES
// (default 20,000), on a file route and on an smtp route; then SIGTERM under load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashScenario, runSigtermScenario, type CrashFigures } from '../test/reliability/crash-scenario.js';

const MESSAGES = Number(process.env['CRASH_MESSAGES'] ?? 20_000);
const KILLS = Number(process.env['CRASH_KILLS'] ?? 20);
const SESSIONS = 20;
const RATE = Number(process.env['CRASH_RATE'] ?? 500);

function check(f: CrashFigures): void {
  assert.deepEqual(f.lost, [], `acknowledged but never delivered: ${f.lost.length}`);
  assert.ok(f.deliveredNotAcked <= KILLS * SESSIONS, `${f.deliveredNotAcked} delivered without a 250`);
  assert.ok(f.duplicates <= KILLS * SESSIONS, `${f.duplicates} duplicate deliveries`);
  assert.deepEqual(f.halfWritten, []);
  assert.equal(f.finalExitCode, 0);
  assert.equal(f.kills, KILLS);
  assert.ok(f.acked >= MESSAGES);
}

function report(name: string, f: CrashFigures): void {
  console.log(`${name}: ${f.kills} kills, ${f.acked} acked of ${f.attempted} attempted, ${f.lost.length} lost, ${f.deliveredNotAcked} delivered without 250 (in flight), ${f.duplicates} duplicates, ${f.cutOff} cut off, ${f.seconds.toFixed(1)} s; errors ${JSON.stringify(f.errors)}`);
}

for (const route of ['file', 'smtp'] as const) {
  test(`${KILLS} x kill -9 during ${MESSAGES} messages (${route} route): nothing acknowledged is lost`, { timeout: 60 * 60_000 }, async () => {
    const f = await runCrashScenario({
      route, messages: MESSAGES, kills: KILLS, sessions: SESSIONS, rate: RATE, seed: route === 'file' ? 101 : 202, drainMs: 300_000,
      progress: (l) => console.log(l),
    });
    report(`crash-soak ${route} (${KILLS} kills, ${MESSAGES} msgs)`, f);
    check(f);
  });
}

test('SIGTERM under load (5,000 messages) exits 0 and loses nothing', { timeout: 10 * 60_000 }, async () => {
  const f = await runSigtermScenario(5000, SESSIONS, RATE);
  console.log(`sigterm-soak: exit ${f.exitCode}, ${f.acked} acked, ${f.lost.length} lost`);
  assert.equal(f.exitCode, 0);
  assert.deepEqual(f.lost, []);
});
