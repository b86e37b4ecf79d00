// Delivery through RouteSmtp and the scheduler when the upstream misbehaves. In every case: nothing is lost,
// each recipient ends delivered or failed with the right events, and retries are spaced as configured
// (retryMinMs doubled per attempt; jitter pinned to the middle by the injected random source).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, RETRY_MIN_MS, smtpRoute, startDeliveryHarness, testRoute, TEST_TIMEOUTS, type DeliveryHarness } from './delivery-harness.js';
import { freePort, startAiosmtpd } from './upstream-aiosmtpd.js';
import { startSmtpServerUpstream } from './upstream-smtp-server.js';
import { createTestCertificate } from '../../bench/servers/tls-cert.js';
import { needTool } from '../support/system-tools.js';

function types(events: { type: string }[]): string[] {
  return events.map((e) => e.type);
}

/** The recipient's retry time is exactly `ms` after now (random = 0.5 means no jitter). */
function assertRetryIn(h: DeliveryHarness, id: string, ms: number, attempts: number): void {
  const r = h.spool.get(id)!.recipients[0]!;
  assert.equal(r.status, 'pending');
  assert.equal(r.attempts, attempts);
  assert.equal(r.nextAttemptAt - h.clock.now(), ms);
}

test('upstream down at start: deferred with "connection refused", then delivered at the retry once it is back', { skip: needTool('aiosmtpd'), timeout: 30_000 }, async () => {
  const port = await freePort();
  const h = await startDeliveryHarness(smtpRoute(port));
  let upstream: Awaited<ReturnType<typeof startAiosmtpd>> | null = null;
  try {
    const e = await h.enqueue(['alice@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    upstream = await startAiosmtpd({}, port);
    await h.advance(RETRY_MIN_MS - 1);
    assert.equal(h.spool.get(e.id)!.recipients[0]!.attempts, 1, 'no attempt before the retry time');
    await h.advance(1);
    assert.equal(h.spool.get(e.id), null, 'delivered and out of the spool');
    await upstream.waitFor(1);
    assert.deepEqual(upstream.messages[0]!.to, ['alice@example.com']);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['deferred', 'delivered']);
    assert.match(ev[0]!.reply!, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`));
    assert.equal(ev[0]!.attempt, 1);
    assert.equal(ev[1]!.attempt, 2);
    assert.match(ev[1]!.reply!, /^250 /);
    assert.equal(ev[1]!.account, ACCOUNT);
    assert.equal(ev[1]!.tag, 'welcome');
    assert.equal(typeof ev[1]!.latencyMs, 'number');
  } finally {
    await h.close();
    await upstream?.close();
  }
});

test('upstream slower than the RCPT timeout: deferred with the timeout, delivered on the next attempt', async () => {
  const upstream = await startSmtpServerUpstream({ rcptDelayMs: (_a, n) => (n === 0 ? 5000 : 0) });
  const h = await startDeliveryHarness(smtpRoute(upstream.port), { timeouts: { ...TEST_TIMEOUTS, rcptMs: 200 } });
  try {
    const e = await h.enqueue(['bob@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    await h.advance(RETRY_MIN_MS);
    assert.equal(h.spool.get(e.id), null);
    assert.equal(upstream.messages.length, 1);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['deferred', 'delivered']);
    assert.equal(ev[0]!.reply, 'timed out after 200 ms waiting for RCPT reply');
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('421 in the middle of a session defers with that reply; the retry on a new connection delivers', { skip: needTool('aiosmtpd'), timeout: 30_000 }, async () => {
  const upstream = await startAiosmtpd({ 'rcpt:carol@example.com': ['421 4.3.2 Service shutting down', '250 2.1.5 OK'] });
  const h = await startDeliveryHarness(smtpRoute(upstream.port));
  try {
    const e = await h.enqueue(['carol@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    await h.advance(RETRY_MIN_MS);
    assert.equal(h.spool.get(e.id), null);
    await upstream.waitFor(1);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['deferred', 'delivered']);
    assert.equal(ev[0]!.reply, '421 4.3.2 Service shutting down');
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('4xx twice then 250: deferred twice with doubling spacing, then delivered', async () => {
  const upstream = await startSmtpServerUpstream({ rcpt: (_a, n) => (n < 2 ? { code: 450, text: 'Mailbox busy' } : null) });
  const h = await startDeliveryHarness(smtpRoute(upstream.port));
  try {
    const e = await h.enqueue(['dave@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    await h.advance(RETRY_MIN_MS);
    assertRetryIn(h, e.id, 2 * RETRY_MIN_MS, 2);
    await h.advance(2 * RETRY_MIN_MS - 1);
    assert.equal(h.spool.get(e.id)!.recipients[0]!.attempts, 2);
    await h.advance(1);
    assert.equal(h.spool.get(e.id), null);
    assert.equal(upstream.messages.length, 1);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['deferred', 'deferred', 'delivered']);
    assert.match(ev[0]!.reply!, /^450 .*Mailbox busy/);
    assert.deepEqual(ev.map((x) => x.attempt), [1, 2, 3]);
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('5xx for one recipient of three: that one fails and is suppressed, the others are delivered; a later send to it is suppressed', async () => {
  let badSeen = 0;
  const upstream = await startSmtpServerUpstream({
    rcpt: (a) => {
      if (a.toLowerCase() !== 'bad@example.com') return null;
      badSeen++;
      return { code: 550, text: 'No such user here' };
    },
  });
  const h = await startDeliveryHarness(smtpRoute(upstream.port));
  try {
    const e = await h.enqueue(['one@example.com', 'bad@example.com', 'three@example.com']);
    await h.settle();
    assert.equal(h.spool.get(e.id), null, 'every recipient settled in one attempt');
    assert.deepEqual(upstream.messages.map((m) => m.to[0]).sort(), ['one@example.com', 'three@example.com']);
    const ev = await h.eventsOf(e.id);
    const byRecipient = Object.fromEntries(ev.map((x) => [x.recipient, x]));
    assert.equal(byRecipient['one@example.com']!.type, 'delivered');
    assert.equal(byRecipient['three@example.com']!.type, 'delivered');
    assert.equal(byRecipient['bad@example.com']!.type, 'failed');
    assert.match(byRecipient['bad@example.com']!.reply!, /^550 .*No such user here/);
    assert.equal(h.suppression.has(ACCOUNT, 'bad@EXAMPLE.com'), true);
    assert.equal(h.suppression.has(ACCOUNT, 'one@example.com'), false);

    const later = await h.enqueue(['bad@EXAMPLE.com', 'one@example.com']);
    await h.settle();
    assert.equal(h.spool.get(later.id), null);
    assert.equal(badSeen, 1, 'the suppressed address was not attempted again');
    const ev2 = await h.eventsOf(later.id);
    const suppressed = ev2.find((x) => x.recipient === 'bad@EXAMPLE.com')!;
    assert.equal(suppressed.type, 'suppressed');
    assert.match(suppressed.reply!, /suppression list of account acme \(550 .*No such user here\)/);
    assert.equal(ev2.find((x) => x.recipient === 'one@example.com')!.type, 'delivered');
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('connection dropped in the middle of DATA: deferred, then delivered exactly once', async () => {
  const upstream = await startSmtpServerUpstream({ dropDuringData: { afterBytes: 1, times: 1 } });
  const h = await startDeliveryHarness(smtpRoute(upstream.port));
  try {
    const e = await h.enqueue(['erin@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    assert.equal(upstream.messages.length, 0);
    await h.advance(RETRY_MIN_MS);
    assert.equal(h.spool.get(e.id), null);
    assert.equal(upstream.messages.length, 1);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['deferred', 'delivered']);
    assert.match(ev[0]!.reply!, /connection (closed by the server during end of data reply|to 127\.0\.0\.1:\d+ failed: ECONNRESET)/);
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('TLS required but not offered: deferred with a clear reason at every attempt, nothing sent in clear', async () => {
  const upstream = await startSmtpServerUpstream();
  const h = await startDeliveryHarness(smtpRoute(upstream.port, { tls: 'required' }));
  try {
    const e = await h.enqueue(['frank@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    await h.advance(RETRY_MIN_MS);
    assertRetryIn(h, e.id, 2 * RETRY_MIN_MS, 2);
    assert.equal(upstream.messages.length, 0);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['deferred', 'deferred']);
    assert.equal(ev[0]!.reply, 'TLS required for 127.0.0.1 but not available: the server does not offer STARTTLS');
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('certificate invalid: deferred with the reason; delivered once the route trusts it (caFile, or verifyCertificate false)', async () => {
  const cert = createTestCertificate();
  const upstream = await startSmtpServerUpstream({ tls: { key: cert.key, cert: cert.cert } });
  const h = await startDeliveryHarness(smtpRoute(upstream.port, { tls: 'required' }));
  try {
    const a = await h.enqueue(['gina@example.com']);
    await h.settle();
    assertRetryIn(h, a.id, RETRY_MIN_MS, 1);
    const ev = await h.eventsOf(a.id);
    assert.match(ev[0]!.reply!, /^certificate of 127\.0\.0\.1 is invalid \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    assert.equal(upstream.messages.length, 0);

    h.setRoute(testRoute(smtpRoute(upstream.port, { tls: 'required', caFile: cert.certPath })));
    await h.advance(RETRY_MIN_MS);
    assert.equal(h.spool.get(a.id), null);
    assert.equal(upstream.messages[0]!.secure, true);

    h.setRoute(testRoute(smtpRoute(upstream.port, { tls: 'required', verifyCertificate: false })));
    const b = await h.enqueue(['hank@example.com']);
    await h.settle();
    assert.equal(h.spool.get(b.id), null);
    assert.equal(upstream.messages.length, 2);
  } finally {
    await h.close();
    await upstream.close();
    cert.remove();
  }
});

test('AUTH over STARTTLS delivers; wrong credentials defer with the server reply', async () => {
  const cert = createTestCertificate();
  const upstream = await startSmtpServerUpstream({ tls: { key: cert.key, cert: cert.cert }, auth: { username: 'relay', password: 'right' } });
  const h = await startDeliveryHarness(smtpRoute(upstream.port, { tls: 'required', caFile: cert.certPath, username: 'relay', password: 'wrong' }));
  try {
    const e = await h.enqueue(['ivy@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    assert.match((await h.eventsOf(e.id))[0]!.reply!, /^AUTH with 127\.0\.0\.1 failed: credentials refused: 535 /);
    h.setRoute(testRoute(smtpRoute(upstream.port, { tls: 'required', caFile: cert.certPath, username: 'relay', password: 'right' })));
    await h.advance(RETRY_MIN_MS);
    assert.equal(h.spool.get(e.id), null);
    assert.equal(upstream.messages[0]!.user, 'relay');
  } finally {
    await h.close();
    await upstream.close();
    cert.remove();
  }
});

test('past the maximum queue age the last deferral fails the recipient (not suppressed)', async () => {
  const port = await freePort();
  const h = await startDeliveryHarness(smtpRoute(port), { queue: { maxAgeMs: 5 * RETRY_MIN_MS } });
  try {
    const e = await h.enqueue(['jack@example.com']);
    await h.settle();
    await h.advance(RETRY_MIN_MS); // attempt 2 at +1 min, next in 2 min
    await h.advance(2 * RETRY_MIN_MS); // attempt 3 at +3 min, next in 4 min
    await h.advance(4 * RETRY_MIN_MS); // attempt 4 at +7 min: older than 5 min
    assert.equal(h.spool.get(e.id), null);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['deferred', 'deferred', 'deferred', 'failed']);
    assert.match(ev[3]!.reply!, /^queue age exceeded; last reply: connection refused/);
    assert.equal(h.suppression.has(ACCOUNT, 'jack@example.com'), false);
  } finally {
    await h.close();
  }
});

test('jitter keeps each retry within ±50% of its base delay', async () => {
  for (const [random, expected] of [[0, RETRY_MIN_MS / 2], [0.999, Math.round(RETRY_MIN_MS * 1.499)]] as const) {
    const port = await freePort();
    const h = await startDeliveryHarness(smtpRoute(port), { random: () => random });
    try {
      const e = await h.enqueue(['kim@example.com']);
      await h.settle();
      assertRetryIn(h, e.id, expected, 1);
    } finally {
      await h.close();
    }
  }
});

test('no more messages of a route in flight than its pool size; all delivered', async () => {
  let h: DeliveryHarness | null = null;
  let most = 0;
  const upstream = await startSmtpServerUpstream({
    rcptDelayMs: () => {
      most = Math.max(most, h!.scheduler.load().active);
      return 20;
    },
  });
  h = await startDeliveryHarness(smtpRoute(upstream.port, { poolSize: 2 }));
  try {
    const entries = [];
    for (let i = 0; i < 8; i++) entries.push(await h.enqueue([`user${i}@example.com`]));
    await h.settle();
    assert.ok(entries.every((e) => h!.spool.get(e.id) === null));
    assert.equal(upstream.messages.length, 8);
    assert.ok(most <= 2 && most >= 1, `at most 2 in flight, saw ${most}`);
    assert.ok(upstream.connections <= 2);
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('a 5xx to the content at the final dot fails that message without suppressing the address', async () => {
  const upstream = await startSmtpServerUpstream({ data: (_m, n) => (n === 0 ? { code: 554, text: 'Message refused as spam' } : null) });
  const h = await startDeliveryHarness(smtpRoute(upstream.port));
  try {
    const e = await h.enqueue(['lou@example.com']);
    await h.settle();
    assert.equal(h.spool.get(e.id), null);
    const ev = await h.eventsOf(e.id);
    assert.deepEqual(types(ev), ['failed']);
    assert.match(ev[0]!.reply!, /^554 .*Message refused as spam/);
    assert.equal(h.suppression.has(ACCOUNT, 'lou@example.com'), false);
    const again = await h.enqueue(['lou@example.com']);
    await h.settle();
    assert.deepEqual(types(await h.eventsOf(again.id)), ['delivered']);
  } finally {
    await h.close();
    await upstream.close();
  }
});

test('the last retry is not scheduled past the maximum queue age', async () => {
  const port = await freePort();
  const h = await startDeliveryHarness(smtpRoute(port), { queue: { maxAgeMs: 90_000 } });
  try {
    const e = await h.enqueue(['max@example.com']);
    await h.settle();
    assertRetryIn(h, e.id, RETRY_MIN_MS, 1);
    await h.advance(RETRY_MIN_MS);
    // Backoff would say 2 minutes; the queue age limit is 30 s away.
    assertRetryIn(h, e.id, 30_000, 2);
    await h.advance(30_000);
    assert.equal(h.spool.get(e.id), null);
    assert.deepEqual(types(await h.eventsOf(e.id)), ['deferred', 'deferred', 'failed']);
  } finally {
    await h.close();
  }
});
