// The local store's webhook endpoints: what is put survives a reopen (a restart), a delete too, and every write is
// announced to the onChange listeners once it is durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, type StoredWebhook } from '../../src/relay/store/index.js';
import { generateWebhookSecret } from '../../src/relay/webhooks/index.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-store-webhooks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const webhook = (account: string, id: string, url = `https://hooks.example/${id}`): StoredWebhook => ({
  account,
  id,
  url,
  events: ['accepted', 'delivered'],
  secret: generateWebhookSecret(),
  timeoutMs: 5_000,
  maxInFlight: 2,
  disableAfterMs: 3_600_000,
  createdAt: 1_000,
  updatedAt: 1_000,
  revision: Math.random().toString(36).slice(2),
});

test('local store: webhook endpoints put are listed per account, kept with their secret across a reopen, and deleted for good', async (t) => {
  const dir = tempDir(t);
  const store = await LocalStore.open(dir);
  const shop = webhook('shop', 'orders');
  await store.webhooks.put(shop);
  await store.webhooks.put(webhook('shop', 'audit'));
  await store.webhooks.put(webhook('other', 'orders'));
  await store.webhooks.put({ ...webhook('shop', 'gone'), url: 'https://hooks.example/gone' });
  assert.equal(await store.webhooks.delete('shop', 'gone'), true);
  assert.equal(await store.webhooks.delete('shop', 'gone'), false, 'a second delete finds nothing');
  await store.webhooks.put({ ...shop, url: 'https://hooks.example/orders-v2', revision: 'r2' });
  assert.deepEqual(store.webhooks.list('shop').map((w) => w.id), ['audit', 'orders']);
  await store.close();

  assert.match(readFileSync(join(dir, 'store', 'webhooks.jsonl'), 'utf8'), /orders-v2/);
  const again = await LocalStore.open(dir);
  t.after(() => again.close());
  const orders = again.webhooks.get('shop', 'orders');
  assert.equal(orders?.url, 'https://hooks.example/orders-v2');
  assert.equal(orders?.secret, shop.secret, 'the secret is kept as given: it signs');
  assert.deepEqual(orders?.events, ['accepted', 'delivered']);
  assert.equal(again.webhooks.get('shop', 'gone'), null);
  assert.equal(again.webhooks.get('other', 'orders')?.account, 'other');
  assert.equal(again.webhooks.all().length, 3);
});

test('local store: onChange is called after each put and delete that changed something, until unsubscribed', async (t) => {
  const store = await LocalStore.open(tempDir(t));
  t.after(() => store.close());
  let calls = 0;
  const stop = store.webhooks.onChange(() => {
    calls++;
    assert.notEqual(store.webhooks.get('shop', 'orders'), undefined, 'called once the write is done');
  });
  await store.webhooks.put(webhook('shop', 'orders'));
  assert.equal(calls, 1);
  assert.equal(await store.webhooks.delete('shop', 'nothing'), false);
  assert.equal(calls, 1, 'a delete of nothing is no change');
  await store.webhooks.delete('shop', 'orders');
  assert.equal(calls, 2);
  stop();
  await store.webhooks.put(webhook('shop', 'orders'));
  assert.equal(calls, 2);
});
