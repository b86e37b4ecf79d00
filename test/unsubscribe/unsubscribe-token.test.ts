// The unsubscribe token: what it carries, and that nothing in it can be changed or forged without the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsubscribeTokens, ensureLinkSecret, unsubscribeHeaders, type UnsubscribeClaim } from '../../src/relay/unsubscribe/index.js';

const tokens = new UnsubscribeTokens(randomBytes(32));
const claim: UnsubscribeClaim = { account: 'shop', tag: 'news', recipient: 'Ann.Lee+x@Example.org', scope: 'tag' };

test('a token carries account, tag, recipient and scope, and is one URL path segment', () => {
  const t = tokens.sign(claim);
  assert.match(t, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(tokens.verify(t), claim);
  assert.deepEqual(tokens.verify(tokens.sign({ ...claim, scope: 'account' })), { ...claim, scope: 'account' });
  assert.ok(t.length < 100, `compact: ${t.length} characters`);
});

test('a changed byte anywhere, another secret, a cut or padded token, or garbage verifies as nothing', () => {
  const t = tokens.sign(claim);
  const bytes = Buffer.from(t, 'base64url');
  for (let i = 0; i < bytes.length; i++) {
    const b = Buffer.from(bytes);
    b[i]! ^= 0x01;
    assert.equal(tokens.verify(b.toString('base64url')), null, `byte ${i} flipped`);
  }
  // The fields swapped to widen the scope or change the recipient, keeping the old MAC.
  const payload = bytes.subarray(0, bytes.length - 16);
  const mac = bytes.subarray(bytes.length - 16);
  const widened = Buffer.concat([Buffer.from(payload.toString('latin1').replace(/^\x01t/, '\x01a'), 'latin1'), mac]);
  assert.equal(tokens.verify(widened.toString('base64url')), null);
  assert.equal(new UnsubscribeTokens(randomBytes(32)).verify(t), null);
  for (const bad of [t.slice(0, -1), t + 'A', t + '=', '', 'x', 'a'.repeat(2000), '../../etc/passwd', t.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))]) {
    assert.equal(tokens.verify(bad), null, JSON.stringify(bad.slice(0, 40)));
  }
});

test('the headers: the https link first, then mailto with the token; both fields of RFC 8058', () => {
  const h = unsubscribeHeaders(tokens, { baseUrl: 'https://relay.example/u', mailto: 'unsub@relay.example', scope: 'account' }, 'shop', 'untagged', 'a@example.org');
  assert.equal(h.length, 2);
  const m = /^<https:\/\/relay\.example\/u\/([A-Za-z0-9_-]+)>, <mailto:unsub@relay\.example\?subject=unsubscribe%20([A-Za-z0-9_-]+)>$/.exec(h[0]!.value);
  assert.ok(m, h[0]!.value);
  assert.equal(m[1], m[2]);
  assert.deepEqual(tokens.verify(m[1]!), { account: 'shop', tag: 'untagged', recipient: 'a@example.org', scope: 'account' });
  assert.deepEqual(h[1], { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' });
});

test('the link secret is generated once into the data folder (0600) and kept; a configured one wins', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-link-secret-'));
  try {
    const a = await ensureLinkSecret(dir, null);
    assert.equal(a.created, true);
    assert.equal(a.secret.length, 32);
    assert.equal((await stat(join(dir, 'link-secret'))).mode & 0o777, 0o600);
    const b = await ensureLinkSecret(dir, null);
    assert.equal(b.created, false);
    assert.ok(b.secret.equals(a.secret));
    assert.ok((await readFile(join(dir, 'link-secret'), 'utf8')).endsWith('\n'));
    const c = await ensureLinkSecret(dir, 'a configured secret of at least 32 characters');
    assert.equal(c.path, null);
    assert.equal(c.secret.toString(), 'a configured secret of at least 32 characters');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
