// The tracking token: what it carries, and that no field can be changed or forged without the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TrackingTokens, isMachineFetch, type TrackingClaim } from '../../src/relay/tracking/index.js';
import { UnsubscribeTokens } from '../../src/relay/unsubscribe/index.js';

const secret = randomBytes(32);
const tokens = new TrackingTokens(secret);
const claim: TrackingClaim = { kind: 'click', account: 'shop', id: '0mhfy3x1k6c1b2a9f0e000001', recipient: 3, link: 258 };

test('a token carries kind, account, message, recipient and link, in one URL path segment', () => {
  const t = tokens.sign(claim);
  assert.match(t, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(tokens.verify(t), claim);
  assert.deepEqual(tokens.verify(tokens.sign({ ...claim, kind: 'open', link: 0 })), { ...claim, kind: 'open', link: 0 });
});

test('every changed byte, another secret, a trailing character or an unsubscribe token fails', () => {
  const t = tokens.sign(claim);
  const bytes = Buffer.from(t, 'base64url');
  for (let i = 0; i < bytes.length; i++) {
    const changed = Buffer.from(bytes);
    changed[i]! ^= 0x01;
    assert.equal(tokens.verify(changed.toString('base64url')), null, `byte ${i}`);
  }
  assert.equal(new TrackingTokens(randomBytes(32)).verify(t), null);
  assert.equal(tokens.verify(t + 'A'), null);
  assert.equal(tokens.verify(''), null);
  assert.equal(tokens.verify(new UnsubscribeTokens(secret).sign({ account: 'shop', tag: 'news', recipient: 'a@b.example', scope: 'account' })), null);
});

test('refuses to sign what it cannot carry', () => {
  assert.throws(() => tokens.sign({ ...claim, account: 'a/b' }));
  assert.throws(() => tokens.sign({ ...claim, id: 'x\u0000y' }));
  assert.throws(() => tokens.sign({ ...claim, link: 65536 }));
});

test('machine fetches: HEAD, scanner agents, Apple MPP, and fetches right after acceptance', () => {
  const human = { method: 'GET' as const, client: '198.51.100.7', userAgent: 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15', time: 100_000, acceptedAt: 0 };
  assert.equal(isMachineFetch(human, 10_000), false);
  assert.equal(isMachineFetch({ ...human, method: 'HEAD' }, 10_000), true);
  assert.equal(isMachineFetch({ ...human, userAgent: 'Mozilla/5.0' }, 10_000), true);
  assert.equal(isMachineFetch({ ...human, userAgent: 'Mimecast URL Protect' }, 10_000), true);
  assert.equal(isMachineFetch({ ...human, userAgent: '' }, 10_000), true);
  assert.equal(isMachineFetch({ ...human, time: 5_000 }, 10_000), true);
});
