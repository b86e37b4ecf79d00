import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ApiKeyIndex, generateApiKey, hashApiKey } from '../../src/relay/accept/api-key.js';
import { API_KEY_HASH_PATTERN } from '../../src/relay/config/index.js';
import type { AccountConfig } from '../../src/relay/config/index.js';

function account(id: string, keys: string[]): AccountConfig {
  return {
    id, name: id, apiKeys: keys.map(hashApiKey), routes: { out: { type: 'file', path: '/tmp/out', dkim: true, returnPath: null } },
    defaultRoute: null, templates: {}, rate: { perSecond: null, perDay: null }, senderDomains: null, dkim: [], unsubscribe: null, tracking: null, webhooks: [], retention: null,
  };
}

test('generateApiKey returns txr_ plus 43 base64url characters, different each time', () => {
  const a = generateApiKey();
  const b = generateApiKey();
  assert.match(a, /^txr_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
});

test('hashApiKey is sha256: followed by the hex SHA-256 digest, accepted by the config pattern', () => {
  assert.equal(hashApiKey('abc'), 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.match(hashApiKey(generateApiKey()), API_KEY_HASH_PATTERN);
});

test('ApiKeyIndex finds the account owning a key among several accounts', () => {
  const keys = Array.from({ length: 40 }, () => generateApiKey());
  const accounts = [account('a', keys.slice(0, 20)), account('b', keys.slice(20))];
  const index = new ApiKeyIndex(accounts);
  assert.equal(index.size, 40);
  for (const k of keys.slice(0, 20)) assert.equal(index.lookup(k)?.id, 'a');
  for (const k of keys.slice(20)) assert.equal(index.lookup(k)?.id, 'b');
});

test('ApiKeyIndex returns null for unknown, empty, near-miss and non-ASCII keys', () => {
  const key = generateApiKey();
  const index = new ApiKeyIndex([account('a', [key])]);
  assert.equal(index.lookup(''), null);
  assert.equal(index.lookup(generateApiKey()), null);
  assert.equal(index.lookup(key.slice(0, -1)), null);
  assert.equal(index.lookup(key + 'x'), null);
  assert.equal(index.lookup('ключ'), null);
  assert.equal(index.lookup(hashApiKey(key)), null, 'the hash itself is not a key');
});

test('ApiKeyIndex refuses a malformed hash in an account', () => {
  const bad = { ...account('a', []), apiKeys: ['sha256:1234'] };
  assert.throws(() => new ApiKeyIndex([bad]), /64 hex digits/);
});

test('txrelay keygen prints a new key and the hash to put in the configuration', () => {
  const url = new URL('../../src/relay/cli/keygen.js', import.meta.url).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { main } from ${JSON.stringify(url)}; process.exitCode = await main([]);`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const m = /^key: {2}(txr_[A-Za-z0-9_-]{43})\nhash: (sha256:[0-9a-f]{64})\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[2], hashApiKey(m[1]!));
});
