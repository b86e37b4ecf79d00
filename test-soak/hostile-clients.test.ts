// Hostile clients at full scale: 1,000 slowloris sessions, 10 MB lines, 1,000,000 pipelined commands,
// 10,000 recipients, AUTH brute force, the smuggling suite repeated (SLOWLORIS_SESSIONS, FLOOD_COMMANDS override).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authBruteForce, hugeCommandLine, hugeDataLine, pipelinedFlood, recipientFlood, slowloris, smugglingSuite, startTlsInjection } from '../test/reliability/hostile-scenarios.js';

const SLOW = Number(process.env['SLOWLORIS_SESSIONS'] ?? 1000);
const FLOOD = Number(process.env['FLOOD_COMMANDS'] ?? 1_000_000);

test(`${SLOW} slowloris sessions are cut by the deadlines while a normal client gets service`, { timeout: 10 * 60_000 }, async () => {
  const f = await slowloris(SLOW, 20);
  console.log(`slowloris-soak: ${f.cut}/${f.sessions} cut (${f.cutWith421} with 421 4.4.2: ${JSON.stringify(f.reasons)}), slowest cut after ${f.slowestCutMs} ms; normal client ${f.normalAccepted}/${f.normalSent} accepted`);
  assert.equal(f.cut, f.sessions);
  assert.equal(f.cutWith421, f.sessions);
  assert.equal(f.normalAccepted, f.normalSent);
});

test('10 MB lines, in commands and in DATA, five times each', { timeout: 10 * 60_000 }, async () => {
  for (let i = 0; i < 5; i++) {
    const a = await hugeCommandLine(10 * 1024 * 1024);
    assert.match(a.reply, /^500 5\.5\.2/);
    assert.equal(a.usableAfter, true);
    const b = await hugeDataLine(10 * 1024 * 1024);
    assert.match(b.reply, /^5\d\d 5\./);
    assert.equal(b.delivered, 0);
  }
});

test(`${FLOOD} pipelined commands in one write: answered, bounded heap`, { timeout: 10 * 60_000 }, async () => {
  const f = await pipelinedFlood(FLOOD);
  console.log(`flood-soak: ${f.replies}/${f.commands} replies, overflow reply ${f.overflowReply}, heap ${f.heapGrowthMB.toFixed(1)} MB, serves after: ${f.servesAfter}`);
  assert.ok(f.replies === f.commands || f.overflowReply);
  assert.ok(f.heapGrowthMB < 128);
  assert.equal(f.servesAfter, true);
});

test('10,000 recipients, ten times', { timeout: 10 * 60_000 }, async () => {
  for (let i = 0; i < 10; i++) {
    const f = await recipientFlood(10_000);
    assert.equal(f.accepted, 100);
    assert.equal(f.tooMany, 9_900);
  }
});

test('AUTH brute force and STARTTLS injection', { timeout: 10 * 60_000 }, async () => {
  const f = await authBruteForce(10);
  assert.equal(f.sessionCutAfter, 3);
  assert.match(f.blockedReply, /^421 4\.7\.0/);
  for (let i = 0; i < 20; i++) assert.equal((await startTlsInjection()).answeredOverTls, false);
});

test('the smuggling suite, 25 rounds: every attempt 521 5.5.2, nothing smuggled delivered', { timeout: 10 * 60_000 }, async () => {
  const f = await smugglingSuite(25);
  console.log(`smuggling-soak: ${f.refused521}/${f.attempts} refused 521 5.5.2; smuggled delivered ${f.smuggledDelivered}`);
  assert.equal(f.refused521, f.attempts);
  assert.equal(f.smuggledDelivered, 0);
  assert.equal(f.firstDelivered, 0);
});
