import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { MxResolver, type DnsQueries, type MxResolution } from '../../../src/relay/delivery/mx/index.js';
import { needTool } from '../../support/system-tools.js';
import { startDnsmasq, startSilentDns, type Dnsmasq } from './dnsmasq.js';

const RECORDS = [
  '--mx-host=example.test,mx1.example.test,10',
  '--mx-host=example.test,mx2.example.test,10',
  '--mx-host=example.test,mx3.example.test,20',
  '--mx-host=example.test,mx-gone.example.test,30', // no address: left out
  '--host-record=mx1.example.test,127.0.0.11',
  '--host-record=mx2.example.test,127.0.0.12,::12',
  '--host-record=mx3.example.test,127.0.0.13',
  // Two domains served by the same hosts, listed in another order: one destination.
  '--mx-host=shop.test,mx2.example.test,5',
  '--mx-host=shop.test,mx1.example.test,5',
  '--mx-host=shop-alias.test,mx1.example.test,10',
  '--mx-host=shop-alias.test,mx2.example.test,20',
  '--host-record=implicit.test,127.0.0.21,::21',
  '--mx-host=nullmx.test,.,0',
  '--mx-host=dangling.test,nowhere.dangling.test,10',
  '--local-ttl=60',
];

/** Counts the queries a resolver makes, per "TYPE name". */
function countingQueries(server: string, timeoutMs = 1000): { queries: DnsQueries; counts: Map<string, number> } {
  const r = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  r.setServers([server]);
  const counts = new Map<string, number>();
  const count = (key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    counts,
    queries: {
      resolveMx: (n) => (count(`MX ${n}`), r.resolveMx(n)),
      resolve4: (n, o) => (count(`A ${n}`), r.resolve4(n, o)),
      resolve6: (n, o) => (count(`AAAA ${n}`), r.resolve6(n, o)),
      resolveTxt: (n) => (count(`TXT ${n}`), r.resolveTxt(n)),
    },
  };
}

function hostsOf(res: MxResolution): { destination: string; hosts: { name: string; preference: number; addresses: string[] }[] } {
  assert.equal(res.kind, 'hosts', JSON.stringify(res));
  return res as Extract<MxResolution, { kind: 'hosts' }>;
}

describe('MxResolver against dnsmasq', { skip: needTool('dnsmasq') }, () => {
  let server: Dnsmasq;
  before(async () => {
    server = await startDnsmasq(RECORDS);
  });
  after(async () => {
    await server?.close();
  });

  test('returns MX hosts in preference order with their addresses, hosts without addresses left out', async () => {
    const r = new MxResolver({ dnsServers: [server.server], random: () => 0 });
    const { hosts } = hostsOf(await r.resolve('Example.TEST.'));
    assert.deepEqual(hosts.map((h) => h.preference), [10, 10, 20]);
    assert.deepEqual(hosts.map((h) => h.name).slice(2), ['mx3.example.test']);
    const mx2 = hosts.find((h) => h.name === 'mx2.example.test')!;
    assert.deepEqual(mx2.addresses, ['127.0.0.12', '::12']);
    assert.deepEqual(hosts.find((h) => h.name === 'mx1.example.test')!.addresses, ['127.0.0.11']);
  });

  test('shuffles hosts of equal preference with the injected random, never across preferences', async () => {
    const orders = new Set<string>();
    for (const x of [0, 0.99]) {
      const r = new MxResolver({ dnsServers: [server.server], random: () => x });
      const { hosts } = hostsOf(await r.resolve('example.test'));
      orders.add(hosts.slice(0, 2).map((h) => h.name).join(' '));
      assert.equal(hosts[2]!.name, 'mx3.example.test');
    }
    assert.deepEqual([...orders].sort(), ['mx1.example.test mx2.example.test', 'mx2.example.test mx1.example.test']);
  });

  test('ipFamily limits the addresses to A or AAAA records', async () => {
    const v4 = hostsOf(await new MxResolver({ dnsServers: [server.server], ipFamily: 'ipv4' }).resolve('implicit.test'));
    assert.deepEqual(v4.hosts[0]!.addresses, ['127.0.0.21']);
    const v6 = hostsOf(await new MxResolver({ dnsServers: [server.server], ipFamily: 'ipv6' }).resolve('example.test'));
    assert.deepEqual(v6.hosts.map((h) => h.name), ['mx2.example.test']); // the only host with an AAAA record
  });

  test('a domain without MX falls back to its own A/AAAA (implicit MX, RFC 5321 §5.1)', async () => {
    const { destination, hosts } = hostsOf(await new MxResolver({ dnsServers: [server.server] }).resolve('implicit.test'));
    assert.equal(destination, 'implicit.test');
    assert.deepEqual(hosts, [{ name: 'implicit.test', preference: 0, addresses: ['127.0.0.21', '::21'] }]);
  });

  test('a null MX (0 .) fails permanently with 5.1.10', async () => {
    const res = await new MxResolver({ dnsServers: [server.server] }).resolve('nullmx.test');
    assert.deepEqual(res, { kind: 'permanent', status: '5.1.10', reason: 'nullmx.test accepts no mail (null MX, RFC 7505)' });
  });

  test('a domain that does not exist (NXDOMAIN) fails permanently with 5.1.2', async () => {
    const res = await new MxResolver({ dnsServers: [server.server] }).resolve('no-such-domain.test');
    assert.equal(res.kind, 'permanent');
    assert.equal((res as { status: string }).status, '5.1.2');
    assert.match((res as { reason: string }).reason, /domain not found: no-such-domain\.test/);
  });

  test('MX hosts that all have no address fail permanently with 5.4.4', async () => {
    const res = await new MxResolver({ dnsServers: [server.server] }).resolve('dangling.test');
    assert.equal(res.kind, 'permanent', JSON.stringify(res));
    assert.equal((res as { status: string }).status, '5.4.4');
  });

  test('a REFUSED answer (a name the server will not serve) is temporary 4.4.3', async () => {
    const res = await new MxResolver({ dnsServers: [server.server], tries: 1 }).resolve('example.com');
    assert.equal(res.kind, 'temporary', JSON.stringify(res));
    assert.equal((res as { status: string }).status, '4.4.3');
    assert.match((res as { reason: string }).reason, /EREFUSED/);
  });

  test('two domains with the same MX set share one destination', async () => {
    const r = new MxResolver({ dnsServers: [server.server] });
    const shop = hostsOf(await r.resolve('shop.test'));
    const alias = hostsOf(await r.resolve('shop-alias.test'));
    assert.equal(shop.destination, 'mx1.example.test,mx2.example.test');
    assert.equal(alias.destination, shop.destination);
    assert.notEqual(hostsOf(await r.resolve('example.test')).destination, shop.destination);
  });

  test('answers are cached: a second lookup makes no query, until the TTL has passed', async () => {
    let now = 1_000_000;
    const { queries, counts } = countingQueries(server.server);
    const r = new MxResolver({ queries, now: () => now, mxTtlMs: 300_000, ipFamily: 'ipv4' });
    const logBefore = server.log().split('query[MX] shop.test').length;
    await r.resolve('shop.test');
    assert.deepEqual(Object.fromEntries(counts), { 'MX shop.test': 1, 'A mx1.example.test': 1, 'A mx2.example.test': 1 });
    await r.resolve('shop.test');
    await r.resolve('shop-alias.test'); // shares the hosts: only its MX query is new
    assert.deepEqual(Object.fromEntries(counts), { 'MX shop.test': 1, 'A mx1.example.test': 1, 'A mx2.example.test': 1, 'MX shop-alias.test': 1 });
    now += 61_000; // past the A records' TTL (--local-ttl=60), within the MX's 300 s
    await r.resolve('shop.test');
    assert.equal(counts.get('MX shop.test'), 1);
    assert.equal(counts.get('A mx1.example.test'), 2);
    now += 300_000;
    await r.resolve('shop.test');
    assert.equal(counts.get('MX shop.test'), 2);
    // dnsmasq saw exactly the MX queries we counted.
    await waitFor(() => server.log().split('query[MX] shop.test').length - logBefore === 2);
  });

  test('negative answers are cached for negativeTtlMs; the cache is bounded by maxEntries', async () => {
    let now = 0;
    const { queries, counts } = countingQueries(server.server);
    const r = new MxResolver({ queries, now: () => now, negativeTtlMs: 10_000, maxEntries: 2 });
    await r.resolve('no-such-domain.test');
    await r.resolve('no-such-domain.test');
    assert.equal(counts.get('MX no-such-domain.test'), 1);
    now += 10_001;
    await r.resolve('no-such-domain.test');
    assert.equal(counts.get('MX no-such-domain.test'), 2);
    await r.resolve('nullmx.test');
    await r.resolve('shop.test'); // a third MX entry evicts the least recently used (no-such-domain.test)
    await r.resolve('no-such-domain.test');
    assert.equal(counts.get('MX no-such-domain.test'), 3);
  });

  test('concurrent lookups of one domain share one query', async () => {
    const { queries, counts } = countingQueries(server.server);
    const r = new MxResolver({ queries });
    await Promise.all([r.resolve('example.test'), r.resolve('example.test'), r.resolve('example.test')]);
    assert.equal(counts.get('MX example.test'), 1);
  });
});

describe('MxResolver when DNS does not answer', () => {
  test('a server that never answers gives a temporary 4.4.3 (timeout), and it is not cached', async () => {
    const silent = await startSilentDns();
    try {
      const { queries, counts } = countingQueries(silent.server, 200);
      const r = new MxResolver({ queries });
      const t0 = Date.now();
      const res = await r.resolve('example.test');
      await r.resolve('example.test');
      assert.equal(counts.get('MX example.test'), 2);
      assert.equal(res.kind, 'temporary', JSON.stringify(res));
      assert.equal((res as { status: string }).status, '4.4.3');
      assert.match((res as { reason: string }).reason, /ETIMEOUT/);
      assert.ok(Date.now() - t0 < 5_000);
    } finally {
      await silent.close();
    }
  });

  test('a port where no server listens gives a temporary 4.4.3', async () => {
    const silent = await startSilentDns();
    const { server } = silent;
    await silent.close(); // nothing there now: ICMP port unreachable
    const res = await new MxResolver({ dnsServers: [server], timeoutMs: 200, tries: 1 }).resolve('example.test');
    assert.equal(res.kind, 'temporary', JSON.stringify(res));
    assert.equal((res as { status: string }).status, '4.4.3');
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
