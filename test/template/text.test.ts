// The Python text helpers behind striptags, unique and wordwrap agree with the straightforward algorithms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { renderTemplate } from '../../src/relay/template/index.js';
import { removeDelimited } from '../../src/relay/template/text.js';

/** markupsafe's loop, quadratic but obviously right. */
function removeDelimitedNaive(s: string, open: string, close: string): string {
  for (;;) {
    const a = s.indexOf(open);
    if (a < 0) return s;
    const b = s.indexOf(close, a);
    if (b < 0) return s;
    s = s.slice(0, a) + s.slice(b + close.length);
  }
}

test('one-pass tag and comment removal equals markupsafe loop, including joins like <!<!---->-->', () => {
  const text = fc.array(fc.constantFrom('<', '!', '-', '>', 'a', ' '), { maxLength: 16 }).map((c) => c.join(''));
  fc.assert(
    fc.property(text, (s) => {
      assert.equal(removeDelimited(s, '<!--', '-->'), removeDelimitedNaive(s, '<!--', '-->'));
      assert.equal(removeDelimited(s, '<', '>'), removeDelimitedNaive(s, '<', '>'));
    }),
    { numRuns: 5000, seed: 3 },
  );
  assert.equal(removeDelimited('x<!<!---->--y', '<!--', '-->'), removeDelimitedNaive('x<!<!---->--y', '<!--', '-->'));
});

test('striptags and unique handle a 1 MB input with 100,000 tags', () => {
  const big = '<b>x</b> '.repeat(100_000);
  assert.equal(renderTemplate('{{ s|striptags|length }}', { s: big }), String('x '.repeat(100_000).trim().length));
  assert.equal(renderTemplate('{{ r|unique|list|length }}', { r: Array.from({ length: 50_000 }, (_, i) => i % 1000) }), '1000');
});
