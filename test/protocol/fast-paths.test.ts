// The engine's fast paths must give exactly what the general code gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFullPath, parsePath, parseSimplePath } from '../../src/protocol/parse.js';

/** A small deterministic PRNG (the test must not depend on Math.random's seed). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const PIECES = ['a', 'Z', '9', '-', '.', '@', '<', '>', '"', '\\', '[', ']', ':', ' ', '+', '=', '_', '~', '/', 'é', 'x.y', '--', '..', 'ex-ample', 'com', 'IPv6:', '1.2.3.4'];

function randomPath(next: () => number): string {
  let s = next() < 0.9 ? '<' : '';
  const n = 1 + Math.floor(next() * 12);
  for (let k = 0; k < n; k++) s += PIECES[Math.floor(next() * PIECES.length)]!;
  if (next() < 0.7) s += '@' + (next() < 0.5 ? 'example.com' : PIECES[Math.floor(next() * PIECES.length)]!);
  if (next() < 0.85) s += '>';
  if (next() < 0.3) s += ' SIZE=10';
  return s;
}

test('the simple-path fast path accepts only what the full path parser accepts, with the same result', () => {
  const next = prng(20261126);
  let fast = 0;
  for (let k = 0; k < 50_000; k++) {
    const s = randomPath(next);
    const simple = parseSimplePath(s, 0);
    const full = parseFullPath(s, 0, true, true);
    if (simple !== null) {
      fast++;
      assert.deepEqual(simple, full, s);
    }
    assert.deepEqual(parsePath(s, 0, true, true), full, s);
  }
  assert.ok(fast > 1000, `the fast path was taken ${fast} times`);
});

test('the simple-path fast path leaves limits and special forms to the full parser', () => {
  const cases = [
    `<${'a'.repeat(64)}@example.com>`,
    `<${'a'.repeat(65)}@example.com>`,
    `<a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(61)}>`,
    `<${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}>`,
    '<a@-example.com>',
    '<a@example-.com>',
    '<a@ex--ample.com>',
    '<a.@example.com>',
    '<.a@example.com>',
    '<a..b@example.com>',
    '<a@example..com>',
    '<a@example.com.>',
    '<Postmaster>',
    '<>',
    '<@relay.example:a@example.com>',
    '<"quoted local"@example.com>',
    '<a@[192.0.2.1]>',
    '<jö@example.com>',
    'a@example.com',
    '<a@example.com',
    '<a@example.com> SIZE=100',
  ];
  for (const s of cases) {
    const simple = parseSimplePath(s, 0);
    if (simple !== null) assert.deepEqual(simple, parseFullPath(s, 0, true, true), s);
    assert.deepEqual(parsePath(s, 0, true, true), parseFullPath(s, 0, true, true), s);
  }
  // Offsets: the path may start anywhere in the argument.
  assert.deepEqual(parsePath('FROM:<a@example.com>', 5, true, false), { address: 'a@example.com', nonAscii: false, end: 20 });
});

test('the simple-path expression stays linear on long near-misses', () => {
  const started = process.hrtime.bigint();
  for (const s of ['<' + 'a-'.repeat(1000) + '@' + 'b-'.repeat(1000), '<a@' + 'b'.repeat(2000) + '-', '<' + 'a.'.repeat(1000)]) {
    assert.equal(parseSimplePath(s, 0), null);
  }
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 200);
});
