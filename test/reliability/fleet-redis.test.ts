// A fleet (issue 17 §5): three relay processes behind HAProxy (send-proxy-v2) sharing one redis-server.
// What one relay learns through its management API, the others know within a second; an account's rate holds for
// the fleet, not per relay; and Redis stopped for 10 s under load loses nothing, and what was written meanwhile
// reaches Redis when it returns.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLoad } from '../../bench/loadgen.js';
import { RedisServer, freePort, sleep } from '../store/redis-server.js';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { needTool, requireTool } from '../support/system-tools.js';
import { RawClient } from './raw-client.js';
import { KEY, RelayChild, outboxIds, waitUntil, type LogLine } from './relay-child.js';

const TOKEN = 'fleet-admin-token-0123456789abcdef';
const LIMITED_KEY = 'txr_fleet_limited_key_000000000000000000000000';
const FLEET_RATE = 100;

interface Relay {
  name: string;
  dir: string;
  outbox: string;
  child: RelayChild;
  /** Behind HAProxy: PROXY v2 required. */
  proxyPort: number;
  /** Direct, for tests that must reach this relay. */
  smtpPort: number;
  admin: string;
}

async function startRelay(root: string, name: string, redisUrl: string): Promise<Relay> {
  const dir = join(root, name);
  await mkdir(dir);
  const outbox = join(dir, 'outbox');
  const route = { type: 'file', path: outbox };
  const config = {
    hostname: `${name}.fleet.test`,
    listeners: [
      { port: 0, host: '127.0.0.1', authBeforeTls: true, proxyProtocol: { trusted: ['127.0.0.1'] } },
      { port: 0, host: '127.0.0.1', authBeforeTls: true },
    ],
    dataDir: join(dir, 'data'),
    logLevel: 'info',
    admin: { host: '127.0.0.1', port: 0, token: TOKEN },
    store: { type: 'redis', url: redisUrl, prefix: 'fleet:' },
    limits: { maxConnectionsPerAddress: 2000, maxConnections: 4000, shutdownGraceMs: 3000 },
    queue: { retryMinMs: 50, retryMaxMs: 500 },
    accounts: [
      { id: 'r', name: 'Fleet', apiKeys: [hashApiKey(KEY)], routes: { main: route } },
      { id: 'limited', name: 'Limited', apiKeys: [hashApiKey(LIMITED_KEY)], rate: { perSecond: FLEET_RATE }, routes: { main: route } },
    ],
  };
  const file = join(dir, 'relay.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  const { relay: child } = await RelayChild.start(file);
  const adminLine = await child.waitFor((l) => l['msg'] === 'admin listening', 'admin listening', 15_000);
  const listening = child.lines.filter((l) => l['msg'] === 'listening');
  assert.equal(listening.length, 2, `${name}: both listeners bound`);
  return { name, dir, outbox, child, proxyPort: listening[0]!['port'] as number, smtpPort: listening[1]!['port'] as number, admin: `http://127.0.0.1:${adminLine['port'] as number}` };
}

async function api(relay: Relay, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(relay.admin + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** AUTH PLAIN with `key` on the relay's direct listener: the reply code (235 accepted, 535 refused). */
async function authCode(relay: Relay, key: string): Promise<number> {
  const c = new RawClient(relay.smtpPort);
  try {
    await c.waitFor(/^220 /m);
    c.write(`EHLO fleet.test\r\nAUTH PLAIN ${Buffer.from(`\0u\0${key}`).toString('base64')}\r\n`);
    await c.waitFor(/^(235|535) /m);
    return Number(/^(235|535) /m.exec(c.text)![1]);
  } finally {
    c.destroy();
  }
}

const hasKey = async (relay: Relay, id: string): Promise<boolean> => ((await api(relay, 'GET', '/api/accounts/r/keys')).json['keys'] as Array<{ id: string }>).some((k) => k.id === id);
const hasSuppression = async (relay: Relay, address: string): Promise<boolean> =>
  ((await api(relay, 'GET', '/api/accounts/r/suppressions?limit=1000')).json['suppressions'] as Array<{ address: string }>).some((s) => s.address === address);

/** The time it takes `check` to hold on every relay; fails past `timeoutMs`. */
async function propagation(relays: Relay[], check: (r: Relay) => Promise<boolean>, what: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (const r of relays) assert.ok(await waitUntil(() => check(r), timeoutMs - (Date.now() - t0), 20), `${what} on ${r.name} within ${timeoutMs} ms`);
  return Date.now() - t0;
}

/** Accepted messages of an account per whole second, summed over the relays' log lines. */
function acceptedPerSecond(relays: Relay[], account: string, from: number, to: number): number[] {
  const seconds = new Array<number>(Math.floor((to - from) / 1000)).fill(0);
  for (const r of relays) {
    for (const l of r.child.lines as LogLine[]) {
      if (l['msg'] !== 'message' || l['outcome'] !== 'queued' || l['account'] !== account) continue;
      const s = Math.floor(((l['time'] as number) - from) / 1000);
      if (s >= 0 && s < seconds.length) seconds[s]!++;
    }
  }
  return seconds;
}

describe('fleet: three relays behind HAProxy sharing one Redis', { skip: needTool('redis-server') ?? needTool('haproxy'), timeout: 180_000 }, () => {
  let root = '';
  let redis: RedisServer;
  let haproxy: ChildProcess | null = null;
  let front = 0;
  const relays: Relay[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'txrelay-fleet-'));
    redis = await RedisServer.start();
    for (const name of ['r1', 'r2', 'r3']) relays.push(await startRelay(root, name, redis.url));
    front = await freePort();
    const cfg = join(root, 'haproxy.cfg');
    await writeFile(cfg, [
      'global', '  maxconn 2000',
      'defaults', '  mode tcp', '  timeout connect 1s', '  timeout client 60s', '  timeout server 60s',
      'frontend smtp', `  bind 127.0.0.1:${front}`, '  default_backend relays',
      'backend relays', '  balance roundrobin',
      ...relays.map((r) => `  server ${r.name} 127.0.0.1:${r.proxyPort} send-proxy-v2 check check-send-proxy inter 300 fall 2 rise 2`),
      '',
    ].join('\n'));
    haproxy = spawn(requireTool('haproxy'), ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    // HAProxy is up when a session through it is greeted.
    assert.ok(await waitUntil(async () => {
      const c = new RawClient(front);
      try {
        await c.waitFor(/^220 /m, 500);
        return true;
      } catch {
        return false;
      } finally {
        c.destroy();
      }
    }, 10_000), 'HAProxy greets through to a relay');
  });

  after(async () => {
    haproxy?.kill('SIGKILL');
    await Promise.all(relays.map((r) => r.child.terminate(10_000)));
    await redis?.destroy();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('a key created through relay 1 works on relay 3 within a second, and revoked on relay 2 fails everywhere within a second', async (t) => {
    const [r1, r2, r3] = relays as [Relay, Relay, Relay];
    const created = await api(r1, 'POST', '/api/accounts/r/keys', { label: 'fleet' });
    assert.equal(created.status, 201);
    const { id, key } = created.json as { id: string; key: string };
    const shown = await propagation([r3], (r) => hasKey(r, id), 'the new key', 1000);
    assert.equal(await authCode(r3, key), 235, 'relay 3 accepts the key relay 1 created');
    t.diagnostic(`key visible on relay 3 after ${shown} ms`);

    assert.equal((await api(r2, 'DELETE', `/api/accounts/r/keys/${id}`)).status, 204);
    const gone = await propagation(relays, async (r) => !(await hasKey(r, id)), 'the revocation', 1000);
    for (const r of [r1, r3]) assert.equal(await authCode(r, key), 535, `${r.name} refuses the revoked key`);
    t.diagnostic(`revocation seen by every relay after ${gone} ms`);
  });

  it('a suppression added on relay 3 blocks the address on relay 1', async () => {
    const [r1, , r3] = relays as [Relay, Relay, Relay];
    const address = 'blocked@fleet.example';
    assert.equal((await api(r3, 'POST', '/api/accounts/r/suppressions', { address, reason: 'added on relay 3' })).status, 201);
    await propagation([r1], (r) => hasSuppression(r, address), 'the suppression', 1000);
    const load = await runLoad({ port: r1.smtpPort, count: 1, authKey: KEY, recipient: () => address, from: 'app@fleet.example' });
    assert.equal(load.messages, 1, load.errorSamples.join('\n'));
    assert.ok(await waitUntil(async () => {
      const events = (await api(r1, 'GET', `/api/events?account=r&type=suppressed`)).json['events'] as Array<{ recipient: string }>;
      return events.some((e) => e.recipient === address);
    }, 10_000), 'relay 1 records the message as suppressed');
    const ids = await outboxIds(r1.outbox);
    assert.equal(ids.has(load.acked[0]!), false, 'nothing was written to the outbox for it');
  });

  it(`an account limited to ${FLEET_RATE} messages/s gets ${FLEET_RATE} ± 10 % per second across the fleet`, async (t) => {
    const started = Date.now();
    const seconds = 8;
    const load = await runLoad({ port: front, count: 2 * FLEET_RATE * seconds, rate: 2 * FLEET_RATE, sessions: 12, messagesPerConnection: 0, authKey: LIMITED_KEY, from: 'app@fleet.example', timeLimitMs: (seconds + 10) * 1000 });
    await sleep(300); // the last log lines
    const perSecond = acceptedPerSecond(relays, 'limited', started, started + seconds * 1000);
    // The first seconds hold the bucket's burst (one second's worth) and the relays' first blocks.
    const steady = perSecond.slice(2, seconds - 1);
    const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
    t.diagnostic(`offered ${2 * FLEET_RATE}/s; accepted per second ${perSecond.join(', ')}; steady mean ${mean.toFixed(1)}; refusals ${JSON.stringify(load.errors)}`);
    assert.ok(Math.abs(mean - FLEET_RATE) <= FLEET_RATE * 0.1, `steady mean ${mean.toFixed(1)} within ${FLEET_RATE} ± 10 %`);
    assert.ok((load.errors['451'] ?? 0) > 0, 'the excess was refused with 451');
    const perRelay = relays.map((r) => r.child.lines.filter((l) => l['msg'] === 'message' && l['outcome'] === 'queued' && l['account'] === 'limited' && (l['time'] as number) >= started).length);
    assert.ok(perRelay.every((n) => n > 0), `every relay took part: ${perRelay.join(', ')}`);
  });

  it('Redis stopped for 10 s under load: nothing accepted is lost, a suppression written meanwhile reaches every relay, and the fleet limit comes back', async (t) => {
    const [r1, r2, r3] = relays as [Relay, Relay, Relay];
    const load = runLoad({ port: front, count: 1600, rate: 100, sessions: 8, messagesPerConnection: 0, authKey: KEY, from: 'app@fleet.example', timeLimitMs: 60_000 });
    await sleep(2000);
    await redis.stop();
    const address = 'unsubscribed-while-down@fleet.example';
    assert.ok(await waitUntil(async () => (await fetch(`${r2.admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.text())).includes('txrelay_store_up 0'), 5000), 'relay 2 sees the store down');
    const added = await api(r2, 'POST', '/api/accounts/r/suppressions', { address, reason: 'while Redis was down' });
    assert.ok(added.status === 201 || added.status === 202, `a suppression is taken while Redis is down: ${added.status} ${JSON.stringify(added.json)}`);
    await sleep(10_000 - 2000);
    await redis.restart();
    const result = await load;
    t.diagnostic(`load: ${result.messages} accepted of ${result.attempted}, errors ${JSON.stringify(result.errors)}`);
    assert.ok(result.messages > 1000, `the relays kept accepting while Redis was down (${result.messages} accepted)`);

    // Nothing accepted is lost: every acknowledged queue id is in one relay's outbox.
    assert.ok(await waitUntil(async () => {
      const all = new Set<string>();
      for (const r of relays) for (const id of (await outboxIds(r.outbox)).keys()) all.add(id);
      return result.acked.every((id) => all.has(id));
    }, 30_000), 'every accepted message was delivered');

    await propagation([r1, r3], (r) => hasSuppression(r, address), 'the suppression written while Redis was down', 5000);
    for (const r of relays) {
      assert.ok(await waitUntil(async () => (await fetch(`${r.admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((x) => x.text())).includes('txrelay_store_up 1'), 5000), `${r.name}: store up again`);
    }
    // The fleet limit is back: a burst far above it is cut to about the bucket's capacity.
    const burst = await runLoad({ port: front, count: 600, sessions: 12, messagesPerConnection: 0, authKey: LIMITED_KEY, from: 'app@fleet.example', timeLimitMs: 30_000 });
    t.diagnostic(`burst after the restart: ${burst.messages} accepted of 600 in ${burst.seconds.toFixed(2)} s`);
    assert.ok(burst.messages <= FLEET_RATE * (1.1 + burst.seconds) + 30, `the fleet limit holds again: ${burst.messages} accepted in ${burst.seconds.toFixed(2)} s`);
  });
});
