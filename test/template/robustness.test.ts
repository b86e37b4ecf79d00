// Untrusted template text never crashes the engine: every input compiles and renders or fails with a TemplateError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TemplateError, compileTemplate } from '../../src/relay/template/index.js';

const fragments = [
  '{{', '}}', '{%', '%}', '{#', '#}', '-', '+', ' ', '\n', 'x', 'items', 'loop', '.', '[', ']', '(', ')', '{', '}', '|', ',', ':', '"', "'",
  '\\', '0', '1.5', 'if', 'else', 'elif', 'endif', 'for', 'in', 'endfor', 'set', '=', 'endset', 'macro', 'endmacro', 'raw', 'endraw',
  'filter', 'upper', 'default', 'is', 'not', 'and', 'or', '~', '*', '**', '/', '//', '%', 'range', '__proto__', 'constructor', 'block', 'endblock',
  'with', 'endwith', 'autoescape', 'endautoescape', 'true', 'none', 'e', 'format', 'join', '<b>', '&', 'é', '\u{1F600}', '\r\n',
];

function survives(source: string, context: Record<string, unknown>): void {
  let template;
  try {
    template = compileTemplate(source, { name: 'fuzz', limits: { maxRenderMs: 5000 } });
  } catch (e) {
    assert.ok(e instanceof TemplateError, `compile threw ${String(e)} for ${JSON.stringify(source)}`);
    assert.match(e.message, /line \d+, column \d+/);
    return;
  }
  try {
    template.render(context);
  } catch (e) {
    assert.ok(e instanceof TemplateError, `render threw ${String(e)} for ${JSON.stringify(source)}`);
  }
}

test('random template text compiles and renders or fails with a TemplateError (2000 inputs)', () => {
  const context = { x: '<x>', items: [1, 'two', { a: null }], n: 3 };
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 30 }), (parts) => survives(parts.join(''), context)),
    { numRuns: 2000, seed: 99 },
  );
});

test('random well-formed tags with random expressions fail only with TemplateError (1000 inputs)', () => {
  const context = { x: '<x>', items: [1, 'two', { a: null }], n: 3 };
  const expr = fc.array(fc.constantFrom('x', 'items', 'n', '1', '2.5', "'s'", '+', '-', '*', '/', '//', '%', '~', '|upper', '|length', '|first', '|default(1)', '[0]', '.a', ' is defined', ' in ', ' and ', ' or ', 'not ', '(', ')', ',', 'none', 'range(3)', ' if ', ' else '), { minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(expr, expr, (a, b) => survives(`{{ ${a.join('')} }}{% for v in ${b.join('')} %}{{ v }}{% endfor %}{% set q = ${a.join('')} %}{{ q }}`, context)),
    { numRuns: 1000, seed: 7 },
  );
});

test('pathological data and template text render in linear time (no regex backtracking)', () => {
  // Each of these took minutes with a backtracking pattern; here they finish like any other render.
  const spaces = ' '.repeat(200_000);
  assert.equal(compileTemplate(`a${spaces}b{%- if true %}{% endif %}`).render({}).length, 200_002);
  assert.equal(compileTemplate('{{ x|float }}').render({ x: '1'.repeat(100_000) + 'x' }), '0.0');
  assert.equal(compileTemplate('{{ y|trim|length }}').render({ y: spaces + 'z' }), '1');
  assert.throws(() => compileTemplate('{{ x|format(1) }}').render({ x: '%' + '0'.repeat(100_000) }), TemplateError);
});
