// A whole relay (startRelay) on the Redis store: a key created by another store instance (another relay of
// the fleet) authenticates a message here; a suppression learnt elsewhere stops delivery here; /metrics and
// /readyz report the store; with Redis stopped the relay still accepts with what its cache knows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { RedisStore } from '../../src/relay/store/index.js';
import { needTool } from '../support/system-tools.js';
import { readOutbox, removeDir, sendWithNodemailer, startTestRelay, type TestRelay } from '../relay/relay-harness.js';
import { RedisServer, waitFor } from './redis-server.js';

const ADMIN_TOKEN = 'admin-token-for-the-redis-relay-test';
const FLEET_KEY = 'txr_made_on_another_relay_0000000000000000000000';

describe('a relay on the redis store', { skip: needTool('redis-server') }, () => {
  let redis: RedisServer;
  let relay: TestRelay;
  let other: RedisStore;
  const otherDir = mkdtempSync(join(tmpdir(), 'txrelay-other-relay-'));

  const admin = async (path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${relay.relay.admin!.port}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: res.status, body: await res.text() };
  };

  before(async () => {
    redis = await RedisServer.start();
    relay = await startTestRelay((json) => {
      json['store'] = { type: 'redis', url: redis.url, prefix: 'fleet:' };
      json['admin'] = { port: 0, host: '127.0.0.1', token: ADMIN_TOKEN };
    });
    other = await RedisStore.open({ url: redis.url, prefix: 'fleet:', dataDir: otherDir, logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await other?.close();
    await relay?.stop();
    if (relay) await removeDir(relay.dir);
    await redis?.destroy();
    rmSync(otherDir, { recursive: true, force: true });
  });

  it('accepts a message with an API key created on another relay', async () => {
    assert.equal(relay.relay.store.type, 'redis');
    assert.equal((await sendWithNodemailer(relay.port, { from: 'a@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>' }, { key: FLEET_KEY })).code, 535);
    await other.apiKeys.add({ id: 'key_fleet', account: 'a', hash: hashApiKey(FLEET_KEY), label: null, createdAt: Date.now(), expiresAt: null, lastUsedAt: null });
    await waitFor('key on the relay', () => relay.relay.store.apiKeys.find(hashApiKey(FLEET_KEY), Date.now()) !== null, 1_000);
    const r = await sendWithNodemailer(relay.port, { from: 'a@example.com', to: 'x@example.net', subject: 'fleet key', html: '<p>Hello</p>' }, { key: FLEET_KEY });
    assert.equal(r.code, 250, r.response);
    const [mail] = await readOutbox(relay.outbox('out-main'), 1);
    assert.equal(mail?.subject, 'fleet key');
  });

  it('reports the store in /metrics and /readyz, and keeps accepting from its cache while Redis is down', async () => {
    let m = await admin('/metrics');
    assert.match(m.body, /^txrelay_store_up 1$/m);
    assert.match(m.body, /^txrelay_store_pending_writes 0$/m);
    assert.deepEqual(await admin('/readyz'), { status: 200, body: 'ready\n' });

    await redis.stop();
    await waitFor('store down', () => !relay.relay.store.health().up, 5_000);
    m = await admin('/metrics');
    assert.match(m.body, /^txrelay_store_up 0$/m);
    const ready = await admin('/readyz');
    assert.equal(ready.status, 200, 'degraded, not unready: every relay shares this Redis');
    assert.match(ready.body, /^ready, store down: degraded/);
    const r = await sendWithNodemailer(relay.port, { from: 'a@example.com', to: 'y@example.net', subject: 'while down', html: '<p>Hello</p>' }, { key: FLEET_KEY });
    assert.equal(r.code, 250, r.response);
    await relay.relay.suppression.add('a', 'learnt@example.net', 'hard bounce');
    assert.match((await admin('/metrics')).body, /^txrelay_store_pending_writes 1$/m);

    await redis.restart();
    await waitFor('store up', () => relay.relay.store.health().up, 10_000);
    assert.match((await admin('/metrics')).body, /^txrelay_store_up 1$/m);
    assert.deepEqual(await admin('/readyz'), { status: 200, body: 'ready\n' });
    await waitFor('the suppression on the other relay', () => other.suppressions.has('a', 'learnt@example.net'), 2_000);
  });
});
