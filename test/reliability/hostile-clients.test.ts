// Hostile clients against the full relay, scaled down for npm test (test-soak/hostile-clients.test.ts has the full counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SMUGGLING_SEQUENCES,
  authBruteForce,
  foreignProtocol,
  hugeCommandLine,
  hugeDataLine,
  pipelinedFlood,
  recipientFlood,
  slowloris,
  smugglingSuite,
  startTlsInjection,
} from './hostile-scenarios.js';
import { startUpstream } from '../relay/relay-harness.js';

test('100 slowloris sessions (commands and DATA, a byte a second) are cut with 421 4.4.2 while a normal client is served', { timeout: 60_000 }, async () => {
  const f = await slowloris(100, 5);
  console.log(`slowloris: ${f.cut}/${f.sessions} cut (${f.cutWith421} with 421 4.4.2: ${JSON.stringify(f.reasons)}), slowest cut after ${f.slowestCutMs} ms; normal client ${f.normalAccepted}/${f.normalSent} accepted`);
  assert.equal(f.cut, f.sessions);
  assert.equal(f.cutWith421, f.sessions);
  assert.equal(f.normalAccepted, f.normalSent);
});

test('a 10 MB command line is answered 500 5.5.2 and the session stays usable', { timeout: 60_000 }, async () => {
  const f = await hugeCommandLine(10 * 1024 * 1024);
  console.log(`10 MB command line: ${f.reply}; usable after: ${f.usableAfter}`);
  assert.match(f.reply, /^500 5\.5\.2/);
  assert.equal(f.usableAfter, true);
});

test('a 10 MB header line inside DATA is refused with a 5xx at the final dot, nothing is queued, the session stays usable', { timeout: 60_000 }, async () => {
  const f = await hugeDataLine(10 * 1024 * 1024);
  console.log(`10 MB line in DATA: ${f.reply}; usable after: ${f.usableAfter}; delivered ${f.delivered}`);
  assert.match(f.reply, /^5\d\d 5\./);
  assert.equal(f.usableAfter, true);
  assert.equal(f.delivered, 0);
});

test('100,000 pipelined commands in one write are all answered (or refused clearly) with bounded memory and no crash', { timeout: 60_000 }, async () => {
  const f = await pipelinedFlood(100_000);
  console.log(`pipelined flood: ${f.replies}/${f.commands} replies, overflow reply ${f.overflowReply}, heap ${f.heapGrowthMB.toFixed(1)} MB, serves after: ${f.servesAfter}`);
  assert.ok(f.replies === f.commands || f.overflowReply);
  assert.ok(f.heapGrowthMB < 64);
  assert.equal(f.servesAfter, true);
});

test('10,000 recipients: 100 accepted, the rest 452 4.5.3, and the message is still accepted for the first 100', { timeout: 60_000 }, async () => {
  const f = await recipientFlood(10_000);
  console.log(`recipient flood: ${f.accepted} x 250, ${f.tooMany} x 452 4.5.3, ${f.other} other; DATA: ${f.dataReply}`);
  assert.equal(f.accepted, 100);
  assert.equal(f.tooMany, 9_900);
  assert.match(f.dataReply, /^250 2\.0\.0/);
});

test('AUTH brute force from one address: 3 failures close the session, then the address is refused 421 4.7.0 even with a valid key', { timeout: 60_000 }, async () => {
  const f = await authBruteForce(10);
  console.log(`auth brute force: ${f.failuresBefore421} failures over ${f.sessions} sessions; session cut after ${f.sessionCutAfter}; blocked: ${f.blockedReply}; valid key blocked: ${f.validKeyBlocked}`);
  assert.equal(f.sessionCutAfter, 3);
  assert.ok(f.failuresBefore421 <= 10);
  assert.match(f.blockedReply, /^421 4\.7\.0/);
  assert.equal(f.validKeyBlocked, true);
});

test('an HTTP request on the SMTP port is answered 554 5.7.0 and closed', async () => {
  const f = await foreignProtocol(Buffer.from('GET / HTTP/1.1\r\nHost: relay\r\n\r\n'));
  assert.match(f.reply, /^554 5\.7\.0/);
  assert.equal(f.closed, true);
});

test('a TLS ClientHello on the plain port is answered 554 5.7.0 and closed', async () => {
  const hello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03]), Buffer.alloc(32, 7), Buffer.from([0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00])]);
  const f = await foreignProtocol(hello);
  assert.match(f.reply, /^554 5\.7\.0/);
  assert.equal(f.closed, true);
});

test(`SMTP smuggling on a strict listener (${Object.keys(SMUGGLING_SEQUENCES).join(', ')}): 521 5.5.2 and close, no second message ever delivered`, { timeout: 60_000 }, async () => {
  const f = await smugglingSuite(1, 'strict');
  console.log(`smuggling: ${f.refused521}/${f.attempts} refused 521 5.5.2; smuggled delivered ${f.smuggledDelivered}; first part delivered ${f.firstDelivered}`);
  assert.equal(f.refused521, f.attempts);
  assert.equal(f.smuggledDelivered, 0);
  assert.equal(f.firstDelivered, 0);
});

test('SMTP smuggling on a normalize listener: bare-CR sequences get 521, the others stay content of one message, and a real upstream receives exactly one transaction each', { timeout: 60_000 }, async () => {
  const upstream = await startUpstream();
  try {
    const f = await smugglingSuite(1, 'normalize', upstream);
    console.log(`smuggling (normalize): ${f.refused521} refused 521, ${f.acceptedOnce} accepted once, of ${f.attempts}; upstream got first ${f.firstDelivered}, smuggled ${f.smuggledDelivered}`);
    const bareCr = Object.values(SMUGGLING_SEQUENCES).filter((seq) => /\r(?!\n)/.test(seq)).length;
    assert.equal(f.refused521, bareCr);
    assert.equal(f.acceptedOnce, f.attempts - bareCr);
    assert.equal(f.smuggledDelivered, 0, 'the smuggled message never reached the upstream as a transaction of its own');
    assert.equal(f.firstDelivered, f.acceptedOnce, 'each accepted attempt reached the upstream as exactly one message');
    const bodies = upstream.received.filter((m) => m.mail.subject === 'first').map((m) => String(m.mail.html));
    assert.ok(bodies.every((h) => h.includes('MAIL FROM:&lt;app@example.com&gt;') || h.includes('MAIL FROM:<app@example.com>')), 'the smuggled commands arrived as body text');
  } finally {
    await upstream.close();
  }
});

test('STARTTLS injection ("STARTTLS\\r\\nRSET\\r\\n" in one write): the RSET is never answered over TLS', async () => {
  const f = await startTlsInjection();
  console.log(`starttls injection: ${f.reply}; answered over TLS: ${f.answeredOverTls}`);
  assert.equal(f.answeredOverTls, false);
  assert.match(f.reply, /^(554 5\.5\.0|220 2\.0\.0)/);
});
