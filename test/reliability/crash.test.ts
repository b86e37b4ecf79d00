// Crash safety under load (SPEC §5): kill -9 once while 20 sessions send ~1,000 messages, restart on the same
// data folder; every acknowledged message is delivered, only in-flight ones may appear unacknowledged.
// The soak (test-soak/crash.test.ts) does the same with 20 kills over 20,000 messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashScenario, runSigtermScenario, type CrashFigures } from './crash-scenario.js';

const SESSIONS = 20;

function check(f: CrashFigures, kills: number): void {
  assert.deepEqual(f.lost, [], `acknowledged but never delivered: ${f.lost.length}`);
  assert.ok(f.deliveredNotAcked <= kills * SESSIONS, `${f.deliveredNotAcked} delivered without a 250 (at most one per session per kill may be in flight)`);
  assert.ok(f.duplicates <= kills * SESSIONS, `${f.duplicates} duplicate deliveries`);
  assert.deepEqual(f.halfWritten, []);
  assert.equal(f.finalExitCode, 0);
  assert.equal(f.kills, kills);
  assert.ok(f.acked >= 1000);
}

function report(name: string, f: CrashFigures): void {
  console.log(`${name}: ${f.kills} kills, ${f.acked} acked of ${f.attempted} attempted, ${f.lost.length} lost, ${f.deliveredNotAcked} delivered without 250 (in flight), ${f.duplicates} duplicates, ${f.cutOff} cut off, ${f.seconds.toFixed(1)} s; errors ${JSON.stringify(f.errors)}`);
}

test('kill -9 under load (file route): every acknowledged message is delivered after a restart, nothing half-written', { timeout: 120_000 }, async () => {
  const f = await runCrashScenario({ route: 'file', messages: 1000, kills: 1, sessions: SESSIONS, rate: 400, seed: 7, drainMs: 30_000 });
  report('crash file (1 kill, 1,000 msgs)', f);
  check(f, 1);
});

test('kill -9 under load (smtp route): every acknowledged message reaches the upstream; duplicates only from in-flight deliveries', { timeout: 120_000 }, async () => {
  const f = await runCrashScenario({ route: 'smtp', messages: 1000, kills: 1, sessions: SESSIONS, rate: 400, seed: 11, drainMs: 30_000 });
  report('crash smtp (1 kill, 1,000 msgs)', f);
  check(f, 1);
});

test('SIGTERM under load exits 0 and loses nothing that was acknowledged', { timeout: 120_000 }, async () => {
  const f = await runSigtermScenario(600, SESSIONS, 400);
  console.log(`sigterm: exit ${f.exitCode}, ${f.acked} acked, ${f.lost.length} lost`);
  assert.equal(f.exitCode, 0);
  assert.ok(f.stoppedLogged);
  assert.ok(f.acked > 0);
  assert.deepEqual(f.lost, []);
});
