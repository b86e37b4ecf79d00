// The mx route's verified TLS and MTA-STS against real TLS: a private CA made with openssl in the test's temporary
// folder, trusted through the route's caFile; smtp-server MX hosts presenting a certificate it signed; the MTA-STS
// policies served over HTTPS (same CA) at mta-sts.<domain>, found through dnsmasq like the MX records.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { validateConfig, type MxRouteConfig } from '../../src/relay/config/index.js';
import { RouteMx, type RouteMxOptions } from '../../src/relay/delivery/route-mx.js';
import type { OutboundMessage } from '../../src/relay/delivery/route.js';
import { needTool } from '../support/system-tools.js';
import { startDnsmasq, type Dnsmasq } from './mx/dnsmasq.js';
import { freeTcpPort, startMxReceiver, type MxReceiver } from './mx/mx-receiver.js';
import { makeTestCa, type TestCa } from './mx/test-ca.js';

const POLICY_HOST = '127.0.0.150';
const RECORDS = [
  '--mx-host=verified.test,mx.verified.test,10', '--host-record=mx.verified.test,127.0.0.141',
  '--mx-host=wrongname.test,mx.wrongname.test,10', '--host-record=mx.wrongname.test,127.0.0.142',
  '--mx-host=stst.test,mx.stst.test,10', '--host-record=mx.stst.test,127.0.0.143',
  '--txt-record=_mta-sts.stst.test,v=STSv1; id=t1', `--host-record=mta-sts.stst.test,${POLICY_HOST}`,
  '--mx-host=stse.test,mx.stse.test,10', '--host-record=mx.stse.test,127.0.0.144',
  '--txt-record=_mta-sts.stse.test,v=STSv1; id=e1', `--host-record=mta-sts.stse.test,${POLICY_HOST}`,
  '--mx-host=stsbad.test,mx.stsbad.test,10', '--host-record=mx.stsbad.test,127.0.0.145',
  '--txt-record=_mta-sts.stsbad.test,v=STSv1; id=b1', `--host-record=mta-sts.stsbad.test,${POLICY_HOST}`,
];
/** The names the CA's server certificate is valid for: not mx.wrongname.test nor mx.stsbad.test. */
const CERT_NAMES = ['mx.verified.test', 'mx.stse.test', 'mta-sts.stst.test', 'mta-sts.stse.test', 'mta-sts.stsbad.test'];
const POLICIES: Record<string, string> = {
  'mta-sts.stst.test': 'version: STSv1\nmode: testing\nmx: mail.elsewhere.test\nmax_age: 86400\n',
  'mta-sts.stse.test': 'version: STSv1\nmode: enforce\nmx: mx.stse.test\nmax_age: 86400\n',
  'mta-sts.stsbad.test': 'version: STSv1\nmode: enforce\nmx: *.stsbad.test\nmax_age: 86400\n',
};

const FAST: RouteMxOptions = {
  timeouts: { greetingMs: 3_000, commandMs: 3_000, mailMs: 3_000, rcptMs: 3_000, dataInitMs: 3_000, dataBlockMs: 3_000, dataEndMs: 3_000 },
  resolver: { timeoutMs: 1_000, tries: 1 },
  idleTimeoutMs: 1_000,
};

let seq = 0;
function message(to: string): OutboundMessage {
  return { id: `t${++seq}`, from: 'shop@sender.test', recipients: [{ address: to, body: Buffer.from(`From: shop@sender.test\r\nTo: ${to}\r\nSubject: tls\r\n\r\nHi\r\n`) }] };
}

describe('the mx route with verified TLS and MTA-STS, against a private CA', { skip: needTool('dnsmasq', 'openssl') }, () => {
  let dir: string;
  let ca: TestCa;
  let dns: Dnsmasq;
  let port: number;
  let https: Server;
  let policyPort: number;
  const policyRequests: string[] = [];
  const receivers: MxReceiver[] = [];
  const routes: RouteMx[] = [];
  const logLines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) logLines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  );

  const route = (fields: Record<string, unknown>, options: RouteMxOptions = {}): RouteMx => {
    const { config, errors } = validateConfig(
      { accounts: [{ id: 'a', apiKeys: [], routes: { mx: { type: 'mx', port, dnsServers: [dns.server], mtaSts: false, connectTimeoutMs: 2_000, ...fields } } }] },
      dir,
    );
    assert.deepEqual(errors, []);
    const r = new RouteMx('mx', config!.accounts[0]!.routes['mx'] as MxRouteConfig, { ...FAST, logger, mtaStsPort: policyPort, ...options });
    routes.push(r);
    return r;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-mx-tls-'));
    ca = await makeTestCa(dir, CERT_NAMES);
    dns = await startDnsmasq(RECORDS);
    port = await freeTcpPort();
    const tls = { key: ca.key, cert: ca.cert };
    for (const host of ['127.0.0.141', '127.0.0.142', '127.0.0.144', '127.0.0.145']) receivers.push(await startMxReceiver({ host, port, tls }));
    receivers.push(await startMxReceiver({ host: '127.0.0.143', port }));
    https = createServer({ key: ca.key, cert: ca.cert }, (req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      policyRequests.push(`${host}${req.url}`);
      const policy = POLICIES[host];
      res.writeHead(policy ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(policy ?? 'not found');
    });
    await new Promise<void>((resolve) => https.listen(0, POLICY_HOST, resolve));
    policyPort = (https.address() as AddressInfo).port;
  });
  after(async () => {
    await Promise.all(routes.map((r) => r.close()));
    await Promise.all(receivers.map((r) => r.close()));
    https?.closeAllConnections();
    await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()));
    await dns?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const receiverAt = (host: string): MxReceiver => receivers.find((r) => r.host === host)!;

  test('verify: the certificate of the MX name, signed by the caFile CA, is accepted; the message goes over TLS', async () => {
    const out = await route({ tls: 'verify', caFile: ca.caFile }).deliver(message('ann@verified.test'));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    assert.deepEqual(receiverAt('127.0.0.141').messages.map((m) => m.secure), [true]);
  });

  test('verify without caFile: the same certificate is untrusted by the system roots, deferred', async () => {
    const out = await route({ tls: 'verify' }).deliver(message('bob@verified.test'));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /mx\.verified\.test\[127\.0\.0\.141\]: certificate of 127\.0\.0\.141 is invalid \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
    assert.equal(receiverAt('127.0.0.141').messages.length, 1);
  });

  test('verify with caFile: a trusted certificate for another name is refused (checked against the MX name)', async () => {
    const out = await route({ tls: 'verify', caFile: ca.caFile }).deliver(message('ann@wrongname.test'));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /certificate of 127\.0\.0\.142 is invalid \(ERR_TLS_CERT_ALTNAME_INVALID\).*mx\.wrongname\.test/);
    assert.equal(receiverAt('127.0.0.142').messages.length, 0);
  });

  test('MTA-STS testing: an MX host the policy does not list is logged, and the message is delivered anyway', async () => {
    const out = await route({ mtaSts: true, caFile: ca.caFile }).deliver(message('ann@stst.test'));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    assert.equal(receiverAt('127.0.0.143').messages.length, 1);
    assert.ok(policyRequests.includes('mta-sts.stst.test/.well-known/mta-sts.txt'), JSON.stringify(policyRequests));
    const warning = logLines.find((l) => l['domain'] === 'stst.test');
    assert.ok(warning, JSON.stringify(logLines));
    assert.equal(warning['msg'], 'MTA-STS policy (testing) does not list these MX hosts; delivering anyway');
    assert.equal(warning['policyId'], 't1');
    assert.deepEqual(warning['hosts'], ['mx.stst.test']);
  });

  test('MTA-STS enforce: the policy (fetched over HTTPS trusted through caFile) makes an opportunistic route verify TLS', async () => {
    const out = await route({ mtaSts: true, caFile: ca.caFile, tls: 'opportunistic' }).deliver(message('ann@stse.test'));
    assert.equal(out[0]!.status, 'delivered', JSON.stringify(out));
    assert.ok(policyRequests.includes('mta-sts.stse.test/.well-known/mta-sts.txt'));
    assert.deepEqual(receiverAt('127.0.0.144').messages.map((m) => m.secure), [true]);
  });

  test('MTA-STS enforce: an MX certificate that does not verify defers, never delivered unverified or in plain text', async () => {
    const out = await route({ mtaSts: true, caFile: ca.caFile, tls: 'opportunistic' }).deliver(message('ann@stsbad.test'));
    assert.equal(out[0]!.status, 'deferred');
    assert.match(out[0]!.reply!, /mx\.stsbad\.test\[127\.0\.0\.145\]: certificate of 127\.0\.0\.145 is invalid \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    assert.equal(receiverAt('127.0.0.145').messages.length, 0);
    assert.equal(receiverAt('127.0.0.145').connections, 1, 'no plain-text retry');
  });
});
