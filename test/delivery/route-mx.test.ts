// The mx route against real components: Debian's dnsmasq as the DNS server, smtp-server receivers as the MX hosts
// on loopback aliases (127.0.0.11, ...) sharing one port, and, at the end, the whole relay fed by nodemailer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dnsPromises } from 'node:dns';
import { validateConfig, type MxRouteConfig } from '../../src/relay/config/index.js';
import { RouteMx, type RouteMxOptions } from '../../src/relay/delivery/route-mx.js';
import { MtaStsResolver } from '../../src/relay/delivery/mx/index.js';
import type { OutboundMessage } from '../../src/relay/delivery/route.js';
import { needTool } from '../support/system-tools.js';
import { freeUdpPort, startDnsmasq, type Dnsmasq } from './mx/dnsmasq.js';
import { freeTcpPort, startMxReceiver, type MxReceiver } from './mx/mx-receiver.js';
import { removeDir, sendWithNodemailer, startTestRelay } from '../relay/relay-harness.js';

const RECORDS = [
  '--mx-host=first.test,mx1.first.test,10', '--mx-host=first.test,mx2.first.test,20',
  '--host-record=mx1.first.test,127.0.0.11', '--host-record=mx2.first.test,127.0.0.12',
  '--mx-host=refused.test,mx1.refused.test,10', '--mx-host=refused.test,mx2.refused.test,20',
  '--host-record=mx1.refused.test,127.0.0.21', '--host-record=mx2.refused.test,127.0.0.22',
  '--mx-host=greet421.test,mx1.greet421.test,10', '--mx-host=greet421.test,mx2.greet421.test,20',
  '--host-record=mx1.greet421.test,127.0.0.31', '--host-record=mx2.greet421.test,127.0.0.32',
  '--mx-host=tlsbroken.test,mx.tlsbroken.test,10', '--host-record=mx.tlsbroken.test,127.0.0.41',
  '--mx-host=paused.test,mx.paused.test,10', '--host-record=mx.paused.test,127.0.0.51',
  '--mx-host=mail421.test,mx.mail421.test,10', '--host-record=mx.mail421.test,127.0.0.52',
  '--mx-host=cap.test,mx.cap.test,10', '--host-record=mx.cap.test,127.0.0.61',
  '--mx-host=alpha.test,mx1.shared.test,10', '--mx-host=alpha.test,mx2.shared.test,20',
  '--mx-host=beta.test,mx2.shared.test,10', '--mx-host=beta.test,mx1.shared.test,20',
  '--host-record=mx1.shared.test,127.0.0.71', '--host-record=mx2.shared.test,127.0.0.72',
  '--mx-host=sts.test,mx.sts.test,10', '--host-record=mx.sts.test,127.0.0.81', '--txt-record=_mta-sts.sts.test,v=STSv1; id=20260101',
  '--mx-host=e2e.test,mx.e2e.test,10', '--host-record=mx.e2e.test,127.0.0.91',
  '--mx-host=nullmx.test,.,0',
  '--mx-host=pool.test,mx.pool.test,10', '--host-record=mx.pool.test,127.0.0.1',
  '--mx-host=v6only.test,mx.v6only.test,10', '--host-record=mx.v6only.test,::1',
];

const FAST: RouteMxOptions = {
  timeouts: { greetingMs: 3_000, commandMs: 3_000, mailMs: 3_000, rcptMs: 3_000, dataInitMs: 3_000, dataBlockMs: 3_000, dataEndMs: 3_000 },
  resolver: { timeoutMs: 500, tries: 1 },
  idleTimeoutMs: 1_000,
};

function routeConfig(dns: string, port: number, fields: Record<string, unknown> = {}): MxRouteConfig {
  const { config, errors } = validateConfig({ accounts: [{ id: 'a', apiKeys: [], routes: { mx: { type: 'mx', port, dnsServers: [dns], mtaSts: false, connectTimeoutMs: 2_000, ...fields } } }] }, '/tmp');
  assert.deepEqual(errors, []);
  return config!.accounts[0]!.routes['mx'] as MxRouteConfig;
}

let seq = 0;
function message(to: string[], subject = 'hello'): OutboundMessage {
  const id = `m${++seq}`;
  return {
    id,
    from: 'shop@sender.test',
    recipients: to.map((address) => ({ address, body: Buffer.from(`From: shop@sender.test\r\nTo: ${address}\r\nSubject: ${subject}\r\n\r\nHi ${address}\r\n`) })),
  };
}

describe('the mx route against dnsmasq and smtp-server MX hosts', { skip: needTool('dnsmasq') }, () => {
  let dns: Dnsmasq;
  let port: number;
  const receivers: MxReceiver[] = [];
  const routes: RouteMx[] = [];
  const receiver = async (host: string, o: Omit<Parameters<typeof startMxReceiver>[0], 'host' | 'port'> = {}): Promise<MxReceiver> => {
    const r = await startMxReceiver({ host, port, ...o });
    receivers.push(r);
    return r;
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
    await Promise.all(receivers.map((r) => r.close()));
    await dns?.close();
  });

  test('delivers to the first MX host, each recipient of a domain in its own transaction on one connection', async () => {
    const mx1 = await receiver('127.0.0.11');
    const mx2 = await receiver('127.0.0.12');
    const out = await route().deliver(message(['ann@first.test', 'bob@first.test', 'cy@First.TEST']));
    assert.deepEqual(out.map((o) => o.status), ['delivered', 'delivered', 'delivered'], JSON.stringify(out));
    assert.match(out[0]!.reply!, /^250 /);
    assert.deepEqual(mx1.messages.map((m) => m.to), [['ann@first.test'], ['bob@first.test'], ['cy@First.TEST']]);
    assert.equal(new Set(mx1.messages.map((m) => m.session)).size, 1);
    assert.equal(mx1.connections, 1);
    assert.equal(mx2.connections, 0);
    assert.match(mx1.messages[1]!.body.toString(), /To: bob@first\.test/);
  });

  test('falls back to the next MX host when the first refuses connections', async () => {
    // Nothing listens on 127.0.0.21.
    const mx2 = await receiver('127.0.0.22');
    const r = route();
    const out = await r.deliver(message(['ann@refused.test']));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    assert.equal(mx2.messages.length, 1);
    assert.deepEqual(r.destinations().map((d) => [d.destination, d.pausedUntil]), [['mx1.refused.test,mx2.refused.test', null]]);
  });

  test('falls back to the next MX host when the first greets with 421', async () => {
    const mx1 = await receiver('127.0.0.31', { greeting: { code: 421, text: 'mx1.greet421.test too busy, try later' } });
    const mx2 = await receiver('127.0.0.32');
    const out = await route().deliver(message(['ann@greet421.test']));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    assert.equal(mx1.connections, 1);
    assert.equal(mx1.messages.length, 0);
    assert.equal(mx2.messages.length, 1);
  });

  test('opportunistic TLS: STARTTLS offered but broken, the same host is retried in plain text', async () => {
    const mx = await receiver('127.0.0.41', { starttls: 'broken' });
    const out = await route({ tls: 'opportunistic' }).deliver(message(['ann@tlsbroken.test']));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    assert.equal(mx.connections, 2, 'one TLS attempt, one plain-text session');
    assert.equal(mx.messages.length, 1);
    assert.equal(mx.messages[0]!.secure, false);
  });

  test('verify TLS: the same broken STARTTLS defers, never in plain text', async () => {
    const mx = receivers.find((r) => r.host === '127.0.0.41')!;
    const before = mx.messages.length;
    const out = await route({ tls: 'verify' }).deliver(message(['bob@tlsbroken.test']));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /no MX host of mx\.tlsbroken\.test took the connection: mx\.tlsbroken\.test\[127\.0\.0\.41\]: TLS handshake with 127\.0\.0\.41 failed/);
    assert.equal(mx.messages.length, before);
  });

  test('a null MX fails the recipient at once with 5.1.10, a hard bounce', async () => {
    const out = await route().deliver(message(['ann@nullmx.test']));
    assert.equal(out[0]!.status, 'failed');
    assert.equal(out[0]!.hardBounce, true);
    assert.match(out[0]!.reply!, /^550 5\.1\.10 nullmx\.test accepts no mail \(null MX, RFC 7505\)/);
  });

  test('a domain that does not exist fails with 5.1.2, a hard bounce', async () => {
    const out = await route().deliver(message(['ann@no-such-domain.test']));
    assert.equal(out[0]!.status, 'failed');
    assert.equal(out[0]!.hardBounce, true);
    assert.match(out[0]!.reply!, /^550 5\.1\.2 domain not found: no-such-domain\.test does not exist/);
  });

  test('DNS unreachable defers with 4.4.3', async () => {
    const nobody = `127.0.0.1:${await freeUdpPort()}`;
    const r = new RouteMx('mx', routeConfig(nobody, port), FAST);
    routes.push(r);
    const started = Date.now();
    const out = await r.deliver(message(['ann@first.test']));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /^451 4\.4\.3 MX lookup for first\.test failed/);
    assert.ok(Date.now() - started < 5_000);
  });

  test('a destination answering 421 is paused: the next message defers without connecting', async () => {
    const mx = await receiver('127.0.0.51', { greeting: { code: 421, text: 'mx.paused.test closing, too many connections' } });
    const r = route({}, { pauseMinMs: 60_000 });
    const first = await r.deliver(message(['ann@paused.test']));
    assert.equal(first[0]!.status, 'deferred');
    assert.match(first[0]!.reply!, /421 mx\.paused\.test closing/);
    assert.equal(mx.connections, 1);
    const [state] = r.destinations();
    assert.equal(state!.destination, 'mx.paused.test');
    assert.ok(state!.pausedUntil !== null && Date.parse(state!.pausedUntil) > Date.now() + 50_000, JSON.stringify(state));
    assert.match(state!.lastError!, /421/);
    const second = await r.deliver(message(['bob@paused.test', 'cy@paused.test']));
    assert.deepEqual(second.map((o) => o.status), ['deferred', 'deferred']);
    assert.match(second[0]!.reply!, /^451 4\.4\.5 destination mx\.paused\.test paused until \S+: .*421/);
    assert.equal(mx.connections, 1, 'no connection while paused');
    // Only this destination is paused: the route still delivers elsewhere.
    const elsewhere = await r.deliver(message(['dan@first.test']));
    assert.equal(elsewhere[0]!.status, 'delivered');
  });

  test('a 421 to MAIL FROM pauses the destination too', async () => {
    const mx = await receiver('127.0.0.52', { mail: { code: 421, text: '4.7.0 rate limited, slow down' } });
    const r = route();
    const first = await r.deliver(message(['ann@mail421.test', 'bob@mail421.test']));
    assert.deepEqual(first.map((o) => o.status), ['deferred', 'deferred']);
    assert.match(first[0]!.reply!, /^421 4\.7\.0 rate limited/);
    assert.match(first[1]!.reply!, /^451 4\.4\.5 destination mx\.mail421\.test paused until/);
    assert.equal(mx.connections, 1);
    assert.notEqual(r.destinations()[0]!.pausedUntil, null);
  });

  test('at most maxConnectionsPerDestination connections at once (50 messages, cap 3, measured at the receiver)', async () => {
    const mx = await receiver('127.0.0.61', { dataDelayMs: 30 });
    const r = route({ maxConnectionsPerDestination: 3 });
    const out = await Promise.all(Array.from({ length: 50 }, (_, i) => r.deliver(message([`user${i}@cap.test`]))));
    assert.deepEqual(new Set(out.map((o) => o[0]!.status)), new Set(['delivered']));
    assert.equal(mx.messages.length, 50);
    assert.equal(mx.maxConcurrent, 3);
    assert.equal(mx.connections, 3, 'connections reused, not reopened');
  });

  test('two domains served by the same MX hosts share one destination and its connections', async () => {
    const mx1 = await receiver('127.0.0.71');
    const mx2 = await receiver('127.0.0.72');
    const r = route({ maxConnectionsPerDestination: 1 });
    // alpha.test prefers mx1, beta.test mx2: one destination whatever the order, so with one connection allowed
    // both recipients travel on it.
    const out = await r.deliver(message(['ann@alpha.test', 'bob@beta.test']));
    assert.deepEqual(out.map((o) => o.status), ['delivered', 'delivered'], JSON.stringify(out));
    assert.deepEqual(r.destinations().map((d) => d.destination), ['mx1.shared.test,mx2.shared.test']);
    const all = [...mx1.messages, ...mx2.messages];
    assert.equal(all.length, 2);
    assert.equal(mx1.connections + mx2.connections, 1);
  });

  test('MTA-STS enforce with no matching MX host defers without connecting', async () => {
    const mx = await receiver('127.0.0.81');
    const policy = 'version: STSv1\nmode: enforce\nmx: mail.elsewhere.test\nmax_age: 86400\n';
    const txt = new dnsPromises.Resolver({ timeout: 500, tries: 1 });
    txt.setServers([dns.server]);
    // The policy comes from this function instead of https://mta-sts.sts.test (the fetch is tested in mx/mta-sts.test.ts).
    const sts = new MtaStsResolver({ resolveTxt: (n) => txt.resolveTxt(n), fetch: async () => policy });
    const r = route({ mtaSts: true }, { mtaSts: sts });
    const out = await r.deliver(message(['ann@sts.test']));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /^451 4\.7\.5 MTA-STS policy of sts\.test \(enforce\) allows none of its MX hosts/);
    assert.equal(mx.connections, 0);
  });
});

describe('the mx route binds its localAddresses in turn', { skip: needTool('dnsmasq') }, () => {
  let dns: Dnsmasq;
  let port: number;
  let mx: MxReceiver;
  const routes: RouteMx[] = [];
  const route = (fields: Record<string, unknown>): RouteMx => {
    const r = new RouteMx('mx', routeConfig(dns.server, port, fields), FAST);
    routes.push(r);
    return r;
  };

  before(async () => {
    dns = await startDnsmasq(RECORDS);
    port = await freeTcpPort();
    mx = await startMxReceiver({ host: '127.0.0.1', port });
  });
  after(async () => {
    await Promise.all(routes.map((r) => r.close()));
    await mx?.close();
    await dns?.close();
  });

  test('connections come from each address of the pool in turn (seen by the receiver)', async () => {
    const from = mx.peers.length;
    // One transaction per connection, so four recipients open four connections.
    const r = route({ localAddresses: ['127.0.0.2', '127.0.0.3'], maxMessagesPerConnection: 1 });
    const out = await r.deliver(message(['a@pool.test', 'b@pool.test', 'c@pool.test', 'd@pool.test']));
    assert.deepEqual(out.map((o) => o.status), ['delivered', 'delivered', 'delivered', 'delivered'], JSON.stringify(out));
    assert.deepEqual(mx.peers.slice(from), ['127.0.0.2', '127.0.0.3', '127.0.0.2', '127.0.0.3']);
  });

  test('an address of the other family than the MX host is skipped', async () => {
    const from = mx.peers.length;
    const out = await route({ localAddresses: ['::1', '127.0.0.4'] }).deliver(message(['a@pool.test', 'b@pool.test']));
    assert.deepEqual(out.map((o) => o.status), ['delivered', 'delivered'], JSON.stringify(out));
    assert.deepEqual(mx.peers.slice(from), ['127.0.0.4']);
  });

  test('an MX host of a family the pool lacks defers, naming it, without connecting from another address', async () => {
    const from = mx.peers.length;
    const out = await route({ localAddresses: ['127.0.0.2'] }).deliver(message(['a@v6only.test']));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /no MX host of mx\.v6only\.test took the connection: mx\.v6only\.test\[::1\]: localAddresses has no IPv6 address to connect to ::1 from/);
    assert.equal(mx.peers.length, from);
  });

  test('an address no interface has gives a deferral naming it', async () => {
    const from = mx.peers.length;
    const out = await route({ localAddresses: ['192.0.2.1'] }).deliver(message(['a@pool.test']));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /mx\.pool\.test\[127\.0\.0\.1\]: cannot use local address 192\.0\.2\.1: bind failed: EADDRNOTAVAIL/);
    assert.equal(mx.peers.length, from);
  });
});

describe('the relay with an mx route', { skip: needTool('dnsmasq') }, () => {
  test('a message sent by nodemailer arrives at the MX host of its recipient domain', async () => {
    const dns = await startDnsmasq(RECORDS);
    const port = await freeTcpPort();
    const mx = await startMxReceiver({ host: '127.0.0.91', port });
    const t = await startTestRelay((json) => {
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'mx', port, dnsServers: [dns.server], mtaSts: false, connectTimeoutMs: 2_000 };
    });
    try {
      const r = await sendWithNodemailer(t.port, { from: 'Shop <shop@example.com>', to: 'Ann <ann@e2e.test>', subject: 'direct', html: '<p>straight to the MX</p>' });
      assert.equal(r.code, 250, r.response);
      await mx.waitFor(1, 10_000);
      assert.deepEqual(mx.messages[0]!.to, ['ann@e2e.test']);
      assert.match(mx.messages[0]!.body.toString(), /Subject: direct/);
    } finally {
      await t.stop();
      await mx.close();
      await dns.close();
      await removeDir(t.dir);
    }
  });
});
