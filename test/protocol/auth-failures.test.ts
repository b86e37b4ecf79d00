import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthFailureCounter } from '../../src/protocol/auth-failures.js';

test('the per-address AUTH failure limit holds across a clock-minute boundary (sliding window)', () => {
  const c = new AuthFailureCounter(10);
  const boundary = 60_000 * 1000;
  for (let i = 0; i < 9; i++) c.record('192.0.2.1', boundary - 100 + i);
  assert.equal(c.isBlocked('192.0.2.1', boundary + 10), false);
  c.record('192.0.2.1', boundary + 10);
  assert.equal(c.isBlocked('192.0.2.1', boundary + 11), true, '10 failures within 110 ms block, though a minute began among them');
  assert.equal(c.isBlocked('192.0.2.2', boundary + 11), false, 'other addresses are not affected');
  assert.equal(c.isBlocked('192.0.2.1', boundary - 100 + 60_000), false, 'a minute after the oldest of the ten, the address may try again');
});
