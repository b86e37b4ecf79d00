// The Redis store's webhook endpoints against a real redis-server: two stores on one Redis stand for two relays. An
// endpoint put on one is read on the other within a second and its onChange listeners are told (that is what makes
// the other relay's dispatcher start it); a change and a delete travel the same way; a relay opened later loads them
// all; with Redis down, a write is refused (StoreUnavailableError) and the cache keeps serving.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { RedisStore, StoreUnavailableError, type StoredWebhook } from '../../src/relay/store/index.js';
import { generateWebhookSecret } from '../../src/relay/webhooks/index.js';
import { needTool } from '../support/system-tools.js';
import { RedisServer, waitFor } from './redis-server.js';

const PROPAGATION_MS = 1_000;
const silent = pino({ level: 'silent' });

const webhook = (account: string, id: string, url = `https://hooks.example/${id}`): StoredWebhook => ({
  account,
  id,
  url,
  events: ['accepted', 'delivered'],
  secret: generateWebhookSecret(),
  timeoutMs: 5_000,
  maxInFlight: 2,
  disableAfterMs: 3_600_000,
  createdAt: Date.now(),
  updatedAt: Date.now(),
  revision: Math.random().toString(36).slice(2),
});

describe('redis store: webhook endpoints', { skip: needTool('redis-server') }, () => {
  let redis: RedisServer;
  const dirs: string[] = [];
  const stores: RedisStore[] = [];
  let prefixes = 0;

  const open = async (prefix: string, url = redis.url): Promise<RedisStore> => {
    const dir = mkdtempSync(join(tmpdir(), 'txrelay-redis-webhooks-'));
    dirs.push(dir);
    const s = await RedisStore.open({ url, prefix, dataDir: dir, logger: silent });
    stores.push(s);
    return s;
  };

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const s of stores) await s.close();
    await redis?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('an endpoint put on one relay is on the other within a second, and its listeners are told; a change and a delete too', async () => {
    const p = `wh${++prefixes}:`;
    const a = await open(p);
    const b = await open(p);
    let told = 0;
    b.webhooks.onChange(() => told++);

    const orders = webhook('shop', 'orders');
    await a.webhooks.put(orders);
    assert.equal(a.webhooks.get('shop', 'orders')?.url, orders.url, 'at once on the relay that wrote it');
    const ms = await waitFor('endpoint on relay b', () => b.webhooks.get('shop', 'orders') !== null, PROPAGATION_MS);
    assert.ok(ms < PROPAGATION_MS);
    assert.equal(told, 1, 'relay b was told of the new endpoint');
    assert.equal(b.webhooks.get('shop', 'orders')?.secret, orders.secret, 'the secret travels: every relay signs');
    assert.deepEqual(b.webhooks.list('shop').map((w) => w.id), ['orders']);
    assert.deepEqual(b.webhooks.list('other'), []);

    await a.webhooks.put({ ...orders, url: 'https://hooks.example/orders-v2', revision: 'v2' });
    await waitFor('change on relay b', () => b.webhooks.get('shop', 'orders')?.url === 'https://hooks.example/orders-v2', PROPAGATION_MS);
    assert.equal(told, 2);

    assert.equal(await b.webhooks.delete('shop', 'nothing'), false);
    assert.equal(await b.webhooks.delete('shop', 'orders'), true);
    await waitFor('delete on relay a', () => a.webhooks.get('shop', 'orders') === null, PROPAGATION_MS);
    assert.equal(told, 3, 'its own delete is announced to its own listeners');

    await a.webhooks.put(webhook('shop', 'audit'));
    const later = await open(p);
    assert.deepEqual(later.webhooks.all().map((w) => `${w.account}/${w.id}`), ['shop/audit'], 'a relay opened later loads them');
  });

  it('with Redis down a write is refused with StoreUnavailableError and the cache keeps serving; after it returns, a change missed meanwhile reaches the listeners', async () => {
    const own = await RedisServer.start();
    try {
      const p = 'down:';
      const a = await open(p, own.url);
      const b = await open(p, own.url);
      await a.webhooks.put(webhook('shop', 'kept'));
      await waitFor('endpoint on relay b', () => b.webhooks.get('shop', 'kept') !== null, PROPAGATION_MS);

      await own.stop();
      await waitFor('store down', () => !a.health().up && !b.health().up, 5_000);
      await assert.rejects(a.webhooks.put(webhook('shop', 'new')), StoreUnavailableError);
      await assert.rejects(a.webhooks.delete('shop', 'kept'), StoreUnavailableError);
      assert.equal(a.webhooks.get('shop', 'kept')?.id, 'kept', 'reads go on from the cache');

      await own.restart();
      await waitFor('a up', () => a.health().up, 10_000);
      // Relay b is still reconnecting while a writes: b learns it from its reload, and tells its listeners.
      let told = 0;
      b.webhooks.onChange(() => told++);
      await a.webhooks.put(webhook('shop', 'after'));
      await waitFor('endpoint on relay b after the outage', () => b.webhooks.get('shop', 'after') !== null, 10_000);
      assert.ok(told >= 1, 'relay b was told');
    } finally {
      await own.destroy();
    }
  });
});
