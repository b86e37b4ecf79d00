// The mx route against real receiving MTAs with faults: aiosmtpd (Debian's python3-aiosmtpd, scripted by
// test/fixtures/aiosmtpd/mx_host.py) on loopback addresses as the MX hosts, dnsmasq serving their MX records.
// Each fault is one test: 421 at the greeting, 4xx to RCPT, STARTTLS advertised but broken, slow replies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { validateConfig, type MxRouteConfig } from '../../src/relay/config/index.js';
import { RouteMx, type RouteMxOptions } from '../../src/relay/delivery/route-mx.js';
import type { OutboundMessage } from '../../src/relay/delivery/route.js';
import type { QueueRoute } from '../../src/relay/admin/queue.js';
import { needTool } from '../support/system-tools.js';
import { startDnsmasq, type Dnsmasq } from './mx/dnsmasq.js';
import { freeTcpPort } from './mx/mx-receiver.js';
import { startAiosmtpdMx, type AiosmtpdMx, type MxFaults } from './mx/aiosmtpd-mx.js';
import { removeDir, sendWithNodemailer, startTestRelay, type TestRelay } from '../relay/relay-harness.js';

const RECORDS = [
  '--mx-host=greet.test,mx1.greet.test,10', '--mx-host=greet.test,mx2.greet.test,20',
  '--host-record=mx1.greet.test,127.0.0.111', '--host-record=mx2.greet.test,127.0.0.112',
  '--mx-host=starttls.test,mx.starttls.test,10', '--host-record=mx.starttls.test,127.0.0.113',
  '--mx-host=slowgreet.test,mx1.slowgreet.test,10', '--mx-host=slowgreet.test,mx2.slowgreet.test,20',
  '--host-record=mx1.slowgreet.test,127.0.0.114', '--host-record=mx2.slowgreet.test,127.0.0.115',
  '--mx-host=slow.test,mx.slow.test,10', '--host-record=mx.slow.test,127.0.0.116',
  '--mx-host=rcpt4xx.test,mx.rcpt4xx.test,10', '--host-record=mx.rcpt4xx.test,127.0.0.117',
  '--mx-host=garbage.test,mx.garbage.test,10', '--host-record=mx.garbage.test,127.0.0.118',
  '--mx-host=burst.test,mx.burst.test,10', '--host-record=mx.burst.test,127.0.0.121',
  '--mx-host=closed.test,mx.closed.test,10', '--host-record=mx.closed.test,127.0.0.122',
  '--mx-host=fine.test,mx.fine.test,10', '--host-record=mx.fine.test,127.0.0.123',
];

const FAST: RouteMxOptions = {
  timeouts: { greetingMs: 3_000, commandMs: 3_000, mailMs: 3_000, rcptMs: 3_000, dataInitMs: 3_000, dataBlockMs: 3_000, dataEndMs: 3_000 },
  resolver: { timeoutMs: 1_000, tries: 1 },
  idleTimeoutMs: 1_000,
};

function routeConfig(dns: string, port: number, fields: Record<string, unknown> = {}): MxRouteConfig {
  const { config, errors } = validateConfig({ accounts: [{ id: 'a', apiKeys: [], routes: { mx: { type: 'mx', port, dnsServers: [dns], mtaSts: false, connectTimeoutMs: 2_000, ...fields } } }] }, '/tmp');
  assert.deepEqual(errors, []);
  return config!.accounts[0]!.routes['mx'] as MxRouteConfig;
}

let seq = 0;
function message(to: string[]): OutboundMessage {
  return {
    id: `a${++seq}`,
    from: 'shop@sender.test',
    recipients: to.map((address) => ({ address, body: Buffer.from(`From: shop@sender.test\r\nTo: ${address}\r\nSubject: faults\r\n\r\nHi ${address}\r\n`) })),
  };
}

/** A pino logger whose lines the test reads. */
function capturedLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('the mx route against faulty aiosmtpd MX hosts', { skip: needTool('dnsmasq', 'aiosmtpd') }, () => {
  let dns: Dnsmasq;
  let port: number;
  const hosts: AiosmtpdMx[] = [];
  const routes: RouteMx[] = [];
  const mx = async (host: string, faults: MxFaults = {}): Promise<AiosmtpdMx> => {
    const h = await startAiosmtpdMx(host, port, faults);
    hosts.push(h);
    return h;
  };
  const route = (fields: Record<string, unknown> = {}, options: RouteMxOptions = {}): RouteMx => {
    const r = new RouteMx('mx', routeConfig(dns.server, port, fields), { ...FAST, ...options });
    routes.push(r);
    return r;
  };

  before(async () => {
    dns = await startDnsmasq(RECORDS);
    port = await freeTcpPort();
  });
  after(async () => {
    await Promise.all(routes.map((r) => r.close()));
    await Promise.all(hosts.map((h) => h.close()));
    await dns?.close();
  });

  test('421 at the greeting: the next MX host gets the message', async () => {
    const [mx1, mx2] = await Promise.all([mx('127.0.0.111', { greeting: '421 4.3.2 mx1.greet.test shutting down' }), mx('127.0.0.112')]);
    const out = await route().deliver(message(['ann@greet.test']));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    await Promise.all([mx1.waitFor(0, 1), mx2.waitFor(1)]);
    assert.equal(mx1.peers.length, 1, 'mx1 was tried first');
    assert.equal(mx1.messages.length, 0);
    assert.deepEqual(mx2.messages.map((m) => m.to), [['ann@greet.test']]);
  });

  test('STARTTLS advertised but broken (opportunistic): the same host again in plain text, logged', async () => {
    const host = await mx('127.0.0.113', { starttls: 'broken' });
    const { logger, lines } = capturedLogger();
    const out = await route({ tls: 'opportunistic' }, { logger }).deliver(message(['ann@starttls.test']));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    await host.waitFor(1, 2);
    assert.equal(host.peers.length, 2, 'one session broken at STARTTLS, one in plain text');
    assert.equal(host.messages.length, 1);
    const fallback = lines.find((l) => l['msg'] === 'STARTTLS failed; delivered in plain text');
    assert.ok(fallback, JSON.stringify(lines));
    assert.equal(fallback['address'], '127.0.0.113');
    assert.match(String(fallback['error']), /TLS handshake with 127\.0\.0\.113 failed/);
  });

  test('STARTTLS advertised but broken (verify): deferred, nothing sent in plain text', async () => {
    const host = hosts.find((h) => h.host === '127.0.0.113')!;
    const before = { peers: host.peers.length, messages: host.messages.length };
    const out = await route({ tls: 'verify' }).deliver(message(['bob@starttls.test']));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /mx\.starttls\.test\[127\.0\.0\.113\]: TLS handshake with 127\.0\.0\.113 failed/);
    await host.waitFor(0, before.peers + 1);
    assert.equal(host.peers.length, before.peers + 1);
    assert.equal(host.messages.length, before.messages);
  });

  test('220 to STARTTLS with non-TLS bytes in the same segment: fails at once (no handshake timeout), then plain text', async () => {
    const host = await mx('127.0.0.118', { starttls: 'garbage' });
    const started = Date.now();
    // A 30 s command timeout: the failure must come from the broken connection, not from waiting.
    const out = await route({ tls: 'opportunistic' }, { timeouts: { ...FAST.timeouts, commandMs: 30_000 } }).deliver(message(['ann@garbage.test']));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    await host.waitFor(1, 2);
    assert.equal(host.peers.length, 2);
    assert.equal(host.messages.length, 1);
  });

  test('a greeting slower than the greeting timeout: the next MX host gets the message', async () => {
    const [slow, quick] = await Promise.all([mx('127.0.0.114', { greetingDelay: 3 }), mx('127.0.0.115')]);
    const out = await route({}, { timeouts: { ...FAST.timeouts, greetingMs: 500 } }).deliver(message(['ann@slowgreet.test']));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    await Promise.all([slow.waitFor(0, 1), quick.waitFor(1)]);
    assert.equal(slow.peers.length, 1);
    assert.equal(slow.messages.length, 0);
    assert.equal(quick.messages.length, 1);
  });

  test('replies slow but within their timeouts: delivered on one connection, waiting for each reply', async () => {
    const host = await mx('127.0.0.116', { replyDelay: 0.2 });
    const started = Date.now();
    const out = await route().deliver(message(['ann@slow.test', 'bob@slow.test']));
    assert.deepEqual(out.map((o) => o.status), ['delivered', 'delivered'], JSON.stringify(out));
    // MAIL, RCPT and the final dot each wait 0.2 s, for two transactions: at least 1.2 s.
    assert.ok(Date.now() - started >= 1_150, `took ${Date.now() - started} ms`);
    await host.waitFor(2, 1);
    assert.equal(host.peers.length, 1);
    assert.equal(host.messages.length, 2);
  });

  test('a burst of 4xx to RCPT pauses the destination: the rest defer without a transaction', async () => {
    const host = await mx('127.0.0.117', { rcpt: '450 4.2.1 mailbox busy, try later' });
    const r = route({}, { pauseAfterDeferrals: 3, pauseMinMs: 60_000 });
    const out = await r.deliver(message(['a@rcpt4xx.test', 'b@rcpt4xx.test', 'c@rcpt4xx.test', 'd@rcpt4xx.test', 'e@rcpt4xx.test']));
    assert.deepEqual(out.map((o) => o.status), ['deferred', 'deferred', 'deferred', 'deferred', 'deferred']);
    for (const o of out.slice(0, 3)) assert.match(o.reply!, /^450 4\.2\.1 mailbox busy/);
    for (const o of out.slice(3)) assert.match(o.reply!, /^451 4\.4\.5 destination mx\.rcpt4xx\.test paused until \S+: 450 4\.2\.1 mailbox busy/);
    const [state] = r.destinations();
    assert.equal(state!.destination, 'mx.rcpt4xx.test');
    assert.ok(state!.pausedUntil !== null && Date.parse(state!.pausedUntil) > Date.now() + 50_000, JSON.stringify(state));
    await host.waitFor(0, 1);
    assert.equal(host.peers.length, 1);
    assert.equal(host.messages.length, 0);
  });
});

const TOKEN = 'mx-aiosmtpd-admin-token-0123456789';

describe('the relay with an mx route to faulty aiosmtpd MX hosts: pauses in /api/queue', { skip: needTool('dnsmasq', 'aiosmtpd') }, () => {
  let dns: Dnsmasq;
  let t: TestRelay;
  const hosts: AiosmtpdMx[] = [];

  before(async () => {
    dns = await startDnsmasq(RECORDS);
    const port = await freeTcpPort();
    hosts.push(
      ...(await Promise.all([
        startAiosmtpdMx('127.0.0.121', port, { rcpt: '452 4.2.2 mailbox full, try later' }),
        startAiosmtpdMx('127.0.0.122', port, { greeting: '421 4.3.2 mx.closed.test not accepting mail' }),
        startAiosmtpdMx('127.0.0.123', port),
      ])),
    );
    t = await startTestRelay((json) => {
      json['admin'] = { port: 0, token: TOKEN };
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'mx', port, dnsServers: [dns.server], mtaSts: false, connectTimeoutMs: 2_000 };
    });
  });
  after(async () => {
    await t?.stop();
    await Promise.all(hosts.map((h) => h.close()));
    await dns?.close();
    if (t) await removeDir(t.dir);
  });

  test('a 4xx burst and a 421 greeting each pause their destination, shown with the reason; the third delivers', async () => {
    // Ten recipients at burst.test: ten 452s in a row (the route's default pauseAfterDeferrals) pause it.
    const burst = Array.from({ length: 10 }, (_, i) => `user${i}@burst.test`);
    const sent = await sendWithNodemailer(t.port, { from: 'Shop <shop@example.com>', to: [...burst, 'ann@closed.test', 'bob@fine.test'].join(', '), subject: 'faults', html: '<p>hi</p>' });
    assert.equal(sent.code, 250, sent.response);
    await hosts[2]!.waitFor(1);
    const base = `http://127.0.0.1:${t.relay.admin!.port}`;
    const deadline = Date.now() + 15_000;
    let byName = new Map<string, NonNullable<QueueRoute['destinations']>[number]>();
    for (;;) {
      const res = await fetch(`${base}/api/queue?account=a`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const { routes } = (await res.json()) as { routes: QueueRoute[] };
      byName = new Map((routes[0]!.destinations ?? []).map((d) => [d.destination, d]));
      if (byName.get('mx.burst.test')?.pausedUntil && byName.get('mx.closed.test')?.pausedUntil) break;
      if (Date.now() > deadline) throw new Error(`no pause in /api/queue after 15 s: ${JSON.stringify([...byName.values()])}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const burstState = byName.get('mx.burst.test')!;
    assert.match(burstState.lastError ?? '', /^452 4\.2\.2 mailbox full/);
    assert.ok(Date.parse(burstState.pausedUntil!) > Date.now());
    assert.equal(burstState.connections, 0, 'idle connections closed while paused');
    const closedState = byName.get('mx.closed.test')!;
    assert.match(closedState.lastError ?? '', /421 4\.3\.2 mx\.closed\.test not accepting mail/);
    assert.equal(byName.get('mx.fine.test')!.pausedUntil, null);
    assert.equal(hosts[0]!.messages.length + hosts[1]!.messages.length, 0);
    assert.deepEqual(hosts[2]!.messages.map((m) => m.to), [['bob@fine.test']]);
  });
});
