import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import {
  MtaStsResolver,
  httpsPolicyFetch,
  mxAllowed,
  parseMtaStsPolicy,
  parseMtaStsRecord,
} from '../../../src/relay/delivery/mx/index.js';
import { createSelfSignedCertificate } from '../../../src/relay/tls/certificate.js';
import { needTool } from '../../support/system-tools.js';
import { startDnsmasq, type Dnsmasq } from './dnsmasq.js';

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.backup.example.test\r\nmax_age: 86400\r\n';

/** Every name resolves to 127.0.0.1 (Node 20 asks for all addresses when it may try several). */
const toLoopback: LookupFunction = (_host, options, callback) => {
  const cb = callback as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
  if ((options as { all?: boolean }).all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};

describe('MTA-STS records and policies', () => {
  test('reads the id of a v=STSv1 TXT record, split over strings or not', () => {
    assert.equal(parseMtaStsRecord([['v=STSv1; id=20160831085700Z;']]), '20160831085700Z');
    assert.equal(parseMtaStsRecord([['v=STSv1; ', 'id=abc']]), 'abc');
    assert.equal(parseMtaStsRecord([['some other record'], ['v=STSv1;id=1']]), '1');
  });

  test('no record, two records, or a bad id mean no policy', () => {
    assert.equal(parseMtaStsRecord([]), null);
    assert.equal(parseMtaStsRecord([['v=STSv1; id=1'], ['v=STSv1; id=2']]), null);
    assert.equal(parseMtaStsRecord([['v=STSv1; id=not-alnum']]), null);
    assert.equal(parseMtaStsRecord([['v=STSv2; id=1']]), null);
  });

  test('parses version, mode, mx patterns and max_age (capped at one year)', () => {
    assert.deepEqual(parseMtaStsPolicy(POLICY, '7'), { mode: 'enforce', mx: ['mx1.example.test', '*.backup.example.test'], maxAge: 86400, id: '7' });
    assert.equal(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 9999999999\n', '1').maxAge, 31_557_600);
  });

  test('refuses a policy without version, with an unknown mode, without max_age, or without mx', () => {
    assert.throws(() => parseMtaStsPolicy('mode: enforce\nmx: a\nmax_age: 1', '1'), /version is missing/);
    assert.throws(() => parseMtaStsPolicy('version: STSv1\nmode: strict\nmx: a\nmax_age: 1', '1'), /mode is "strict"/);
    assert.throws(() => parseMtaStsPolicy('version: STSv1\nmode: enforce\nmx: a', '1'), /max_age/);
    assert.throws(() => parseMtaStsPolicy('version: STSv1\nmode: testing\nmax_age: 1', '1'), /lists no mx/);
  });

  test('mx patterns match exactly, and *. stands for exactly one label (RFC 8461 §4.1)', () => {
    const policy = parseMtaStsPolicy(POLICY, '1');
    assert.equal(mxAllowed(policy, 'MX1.example.test.'), true);
    assert.equal(mxAllowed(policy, 'mx2.example.test'), false);
    assert.equal(mxAllowed(policy, 'a.backup.example.test'), true);
    assert.equal(mxAllowed(policy, 'backup.example.test'), false);
    assert.equal(mxAllowed(policy, 'a.b.backup.example.test'), false);
  });
});

describe('MTA-STS discovery against dnsmasq and an HTTPS server', { skip: needTool('dnsmasq') }, () => {
  let dnsServer: Dnsmasq;
  let https: Server;
  let port: number;
  let cert: string;
  /** The other served names' certificates, trusted as roots (mta-sts.untrusted.test's is not). */
  const trusted: string[] = [];
  /** Request paths by Host header, and what to answer per host. */
  const requests: string[] = [];
  const answers = new Map<string, { status: number; type?: string; body: string; location?: string }>();

  before(async () => {
    dnsServer = await startDnsmasq([
      '--txt-record=_mta-sts.example.test,v=STSv1; id=1',
      '--txt-record=_mta-sts.moved.test,v=STSv1; id=1',
      '--txt-record=_mta-sts.huge.test,v=STSv1; id=1',
      '--txt-record=_mta-sts.html.test,v=STSv1; id=1',
      '--txt-record=_mta-sts.untrusted.test,v=STSv1; id=1',
      '--mx-host=plain.test,mx.plain.test,10',
    ]);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // One certificate for every mta-sts.* name the tests serve, except mta-sts.untrusted.test (a name mismatch).
    cert = createSelfSignedCertificate(privateKey, publicKey, 'mta-sts.example.test');
    const certs = new Map<string, string>();
    for (const d of ['moved.test', 'huge.test', 'html.test']) certs.set(`mta-sts.${d}`, createSelfSignedCertificate(privateKey, publicKey, `mta-sts.${d}`));
    const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    https = createServer({ key, cert }, (req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      requests.push(`${host}${req.url}`);
      const a = answers.get(host) ?? { status: 404, body: 'not found' };
      res.writeHead(a.status, { 'content-type': a.type ?? 'text/plain', ...(a.location ? { location: a.location } : {}) });
      res.end(a.body);
    });
    // SNI: each name gets its own certificate, so each can be trusted through its own ca below.
    for (const [name, c] of certs) https.addContext(name, { key, cert: c }), trusted.push(c);
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    port = (https.address() as AddressInfo).port;
    answers.set('mta-sts.example.test', { status: 200, body: POLICY });
    answers.set('mta-sts.moved.test', { status: 301, body: '', location: 'https://mta-sts.example.test/.well-known/mta-sts.txt' });
    answers.set('mta-sts.huge.test', { status: 200, body: `version: STSv1\nmode: enforce\nmax_age: 1\n${'mx: x.test\n'.repeat(7000)}` });
    answers.set('mta-sts.html.test', { status: 200, type: 'text/html', body: POLICY });
    answers.set('mta-sts.untrusted.test', { status: 200, body: POLICY });
  });
  after(async () => {
    await dnsServer?.close();
    https?.closeAllConnections();
    await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()));
  });

  function resolver(now: () => number = Date.now): MtaStsResolver {
    const r = new dns.Resolver({ timeout: 1000, tries: 1 });
    r.setServers([dnsServer.server]);
    const ca = [cert, ...trusted];
    return new MtaStsResolver({ resolveTxt: (n) => r.resolveTxt(n), fetch: httpsPolicyFetch({ port, ca, lookup: toLoopback, timeoutMs: 2_000 }), now });
  }

  test('finds the TXT record, fetches the policy over verified HTTPS and parses it', async () => {
    const res = await resolver().policy('example.test');
    assert.deepEqual(res, { kind: 'policy', policy: { mode: 'enforce', mx: ['mx1.example.test', '*.backup.example.test'], maxAge: 86400, id: '1' } });
    assert.ok(requests.includes('mta-sts.example.test/.well-known/mta-sts.txt'));
  });

  test('caches the policy by id: no fetch while the TXT id is unchanged, a fetch when it changes', async () => {
    let id = '1';
    let fetches = 0;
    let now = 0;
    const r = new MtaStsResolver({
      resolveTxt: async () => [[`v=STSv1; id=${id}`]],
      fetch: async () => (fetches++, POLICY.replace('86400', '600')),
      txtTtlMs: 1_000,
      now: () => now,
    });
    await r.policy('example.test');
    await r.policy('example.test');
    assert.equal(fetches, 1);
    now += 1_001; // the TXT answer is asked again; same id: the cached policy stands
    await r.policy('example.test');
    assert.equal(fetches, 1);
    id = '2';
    now += 1_001;
    const res = await r.policy('example.test');
    assert.equal(fetches, 2);
    assert.equal(res.kind === 'policy' && res.policy.id, '2');
    now += 600_001; // past max_age and the TXT TTL: fetched again
    await r.policy('example.test');
    assert.equal(fetches, 3);
  });

  test('a cached policy stays in force when a later fetch fails', async () => {
    let id = '1';
    let fail = false;
    let now = 0;
    const r = new MtaStsResolver({
      resolveTxt: async () => [[`v=STSv1; id=${id}`]],
      fetch: async () => {
        if (fail) throw new Error('down');
        return POLICY;
      },
      txtTtlMs: 1,
      now: () => now,
    });
    await r.policy('example.test');
    (fail = true), (id = '2'), (now += 10);
    const res = await r.policy('example.test');
    assert.equal(res.kind === 'policy' && res.policy.id, '1');
  });

  test('no TXT record means no policy, and nothing is fetched', async () => {
    const before = requests.length;
    assert.deepEqual(await resolver().policy('plain.test'), { kind: 'none', reason: 'no valid _mta-sts.plain.test TXT record' });
    assert.equal(requests.length, before);
  });

  test('a redirect, a body over 64 KB, a non-text/plain type or an untrusted certificate: no policy, with the reason', async () => {
    const r = resolver();
    const moved = await r.policy('moved.test');
    assert.equal(moved.kind, 'none');
    assert.match((moved as { reason: string }).reason, /HTTP 301 \(redirects are not followed\)/);
    assert.match((await r.policy('huge.test') as { reason: string }).reason, /larger than 65536 bytes/);
    assert.match((await r.policy('html.test') as { reason: string }).reason, /Content-Type "text\/html"/);
    const untrusted = await r.policy('untrusted.test');
    assert.equal(untrusted.kind, 'none');
    assert.match((untrusted as { reason: string }).reason, /mta-sts\.untrusted\.test|altnames|certificate/i);
  });
});
