// The local runtime store: what it keeps survives a reopen (a restart), a torn last record is cut off,
// and a journal that grows past its slack is compacted to its live entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../../src/relay/store/index.js';
import { JournalMap } from '../../src/relay/storage/journal-map.js';
import { hashApiKey } from '../../src/relay/accept/api-key.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const credential = (id: string, account: string, secret: string, expiresAt: number | null = null) => ({
  id,
  account,
  hash: hashApiKey(secret),
  label: `label of ${id}`,
  createdAt: 1_000,
  expiresAt,
  lastUsedAt: null,
});

test('local store: an API key added is found by its hash, listed per account, and still there after a reopen', async (t) => {
  const dir = tempDir(t);
  const store = await LocalStore.open(dir);
  await store.apiKeys.add(credential('key_a', 'shop', 'secret-a'));
  await store.apiKeys.add(credential('key_b', 'other', 'secret-b'));
  assert.equal(store.apiKeys.find(hashApiKey('secret-a'), 2_000)?.account, 'shop');
  assert.equal(store.apiKeys.find(hashApiKey('nope'), 2_000), null);
  assert.deepEqual(store.apiKeys.list('shop').map((c) => c.id), ['key_a']);
  await store.close();

  const again = await LocalStore.open(dir);
  t.after(() => again.close());
  assert.equal(again.apiKeys.find(hashApiKey('secret-b'), 2_000)?.id, 'key_b');
  assert.equal(again.apiKeys.list('shop')[0]?.label, 'label of key_a');
});

test('local store: a revoked key is not found, only its own account can revoke it, and the revocation survives a reopen', async (t) => {
  const dir = tempDir(t);
  const store = await LocalStore.open(dir);
  await store.apiKeys.add(credential('key_a', 'shop', 'secret-a'));
  assert.equal(await store.apiKeys.revoke('other', 'key_a'), false, 'another account cannot revoke it');
  assert.equal(await store.apiKeys.revoke('shop', 'key_a'), true);
  assert.equal(await store.apiKeys.revoke('shop', 'key_a'), false, 'twice is not found');
  assert.equal(store.apiKeys.find(hashApiKey('secret-a'), 2_000), null);
  await store.close();
  const again = await LocalStore.open(dir);
  t.after(() => again.close());
  assert.equal(again.apiKeys.find(hashApiKey('secret-a'), 2_000), null);
});

test('local store: a key past its expiry is not found', async (t) => {
  const store = await LocalStore.open(tempDir(t));
  t.after(() => store.close());
  await store.apiKeys.add(credential('key_x', 'shop', 'secret-x', 5_000));
  assert.equal(store.apiKeys.find(hashApiKey('secret-x'), 4_999)?.id, 'key_x');
  assert.equal(store.apiKeys.find(hashApiKey('secret-x'), 5_000), null);
});

test('local store: last-used times are written in a batch at close and read back', async (t) => {
  const dir = tempDir(t);
  const store = await LocalStore.open(dir);
  await store.accountTokens.add(credential('tok_1', 'shop', 'token-1'));
  store.accountTokens.touch('tok_1', 7_777);
  await store.close();
  const again = await LocalStore.open(dir);
  t.after(() => again.close());
  assert.equal(again.accountTokens.list('shop')[0]?.lastUsedAt, 7_777);
  assert.equal(again.apiKeys.list('shop').length, 0, 'account tokens and API keys are kept apart');
});

test('local store: templates are put, replaced, listed by name, deleted, and kept across a reopen', async (t) => {
  const dir = tempDir(t);
  const store = await LocalStore.open(dir);
  const base = { account: 'shop', subject: 'Hi {{ name }}', from: null, replyTo: null, tag: null, updatedAt: 1 };
  await store.templates.put({ ...base, name: 'welcome', html: '<p>v1</p>', revision: 'r1' });
  await store.templates.put({ ...base, name: 'welcome', html: '<p>v2</p>', revision: 'r2' });
  await store.templates.put({ ...base, name: 'bye', html: '<p>bye</p>', revision: 'r3' });
  assert.deepEqual(store.templates.list('shop').map((x) => x.name), ['bye', 'welcome']);
  assert.equal(await store.templates.delete('shop', 'bye'), true);
  assert.equal(await store.templates.delete('shop', 'bye'), false);
  await store.close();
  const again = await LocalStore.open(dir);
  t.after(() => again.close());
  assert.equal(again.templates.get('shop', 'welcome')?.html, '<p>v2</p>');
  assert.equal(again.templates.get('shop', 'bye'), null);
  assert.equal(again.templates.get('other', 'welcome'), null);
});

test('journal map: a torn last record (a crash mid-append) is cut off and the next write starts on its own line', async (t) => {
  const path = join(tempDir(t), 'j.jsonl');
  const isString = (v: unknown): v is string => typeof v === 'string';
  const j = await JournalMap.open(path, isString);
  await j.put('a', 'one');
  await j.close();
  appendFileSync(path, '{"op":"put","key":"b","val');
  const k = await JournalMap.open(path, isString);
  assert.equal(k.get('a'), 'one');
  assert.equal(k.has('b'), false);
  await k.put('c', 'three');
  await k.close();
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 2);
  for (const l of lines) JSON.parse(l);
});

test('journal map: rewriting one key 3,000 times compacts the file to its live entries', async (t) => {
  const path = join(tempDir(t), 'j.jsonl');
  const isNumber = (v: unknown): v is number => typeof v === 'number';
  const j = await JournalMap.open(path, isNumber);
  for (let i = 0; i < 3_000; i++) await j.put('counter', i);
  await j.put('other', -1);
  await j.close();
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  assert.ok(lines.length < 1_100, `file has ${lines.length} records for 2 live entries`);
  const k = await JournalMap.open(path, isNumber);
  t.after(() => k.close());
  assert.equal(k.get('counter'), 2_999);
  assert.equal(k.get('other'), -1);
});

test('local store: a key or template whose write fails is not served (the caller was told it was not saved)', async (t) => {
  const dir = tempDir(t);
  const store = await LocalStore.open(dir);
  t.after(() => store.close());
  // A folder where the files should be: every append fails (EISDIR), as on a failing disk.
  mkdirSync(join(dir, 'store', 'api-keys.jsonl'));
  mkdirSync(join(dir, 'store', 'templates.jsonl'));
  await assert.rejects(store.apiKeys.add(credential('key_a', 'shop', 'secret-a')));
  assert.equal(store.apiKeys.find(hashApiKey('secret-a'), 2_000), null, 'a key that is not durable does not authenticate');
  assert.deepEqual(store.apiKeys.list('shop'), []);
  const t1 = { account: 'shop', name: 'welcome', html: '<p>Hi</p>', subject: null, from: null, replyTo: null, tag: null, updatedAt: 1, revision: 'r1' };
  await assert.rejects(store.templates.put(t1));
  assert.equal(store.templates.get('shop', 'welcome'), null, 'a template that is not durable is not used');
});
