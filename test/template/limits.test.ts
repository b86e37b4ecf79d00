// Each sandbox limit stops a render with a clear error naming the limit and the line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TemplateError, compileTemplate, renderTemplate, type TemplateOptions } from '../../src/relay/template/index.js';

function limitError(source: string, options: TemplateOptions, context: Record<string, unknown> = {}): TemplateError {
  try {
    compileTemplate(source, options).render(context);
  } catch (e) {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a limit error');
}

test('output larger than maxOutputBytes stops the render', () => {
  const e = limitError('line one\n{% for i in range(200) %}0123456789{% endfor %}', { limits: { maxOutputBytes: 1000 } });
  assert.equal(e.kind, 'limit');
  assert.match(e.message, /maxOutputBytes/);
  assert.equal(e.line, 2);
});

test('maxOutputBytes counts UTF-8 bytes, not characters', () => {
  assert.equal(renderTemplate('{{ s }}', { s: 'é'.repeat(500) }, { limits: { maxOutputBytes: 1000 } }).length, 500);
  const e = limitError('{{ s }}', { limits: { maxOutputBytes: 1000 } }, { s: 'é'.repeat(501) });
  assert.match(e.message, /maxOutputBytes/);
});

test('loop iterations are counted across the whole render against maxLoopIterations', () => {
  const e = limitError('{% for a in range(100) %}{% for b in range(100) %}{% endfor %}{% endfor %}', { limits: { maxLoopIterations: 5000 } });
  assert.equal(e.kind, 'limit');
  assert.match(e.message, /maxLoopIterations.*line 1|line 1.*maxLoopIterations/);
  assert.equal(renderTemplate('{% for a in range(50) %}{% for b in range(50) %}{% endfor %}{% endfor %}ok', {}, { limits: { maxLoopIterations: 5000 } }), 'ok');
});

test('range() larger than maxRangeSize is refused', () => {
  const e = limitError('\n{{ range(10001)|length }}', {});
  assert.equal(e.kind, 'limit');
  assert.match(e.message, /maxRangeSize/);
  assert.equal(e.line, 2);
  assert.equal(renderTemplate('{{ range(10000)|length }}', {}), '10000');
});

test("string and list repetition beyond maxStringRepeat is refused", () => {
  const e = limitError("{{ 'x' * 1000000000 }}", {});
  assert.equal(e.kind, 'limit');
  assert.match(e.message, /maxStringRepeat/);
  assert.match(limitError('{{ [1, 2] * 600000 }}', {}).message, /maxStringRepeat/);
  assert.match(limitError("{{ 'ab' * 10 }}", { limits: { maxStringRepeat: 10 } }).message, /maxStringRepeat/);
});

test('doubling a string through macro recursion is stopped before memory runs out', () => {
  const src = '{% macro grow(s, n) %}{% if n > 0 %}{{ grow(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ grow("x", 60) }}';
  const e = limitError(src, {});
  assert.equal(e.kind, 'limit');
});

test('nesting deeper than maxNestingDepth is refused when parsing', () => {
  const deep = '{{ ' + '('.repeat(100) + '1' + ')'.repeat(100) + ' }}';
  assert.throws(() => compileTemplate(deep), (e: unknown) => e instanceof TemplateError && e.kind === 'limit' && /maxNestingDepth/.test(e.message));
  const blocks = '{% if true %}'.repeat(70) + 'x' + '{% endif %}'.repeat(70);
  assert.throws(() => compileTemplate(blocks), (e: unknown) => e instanceof TemplateError && /maxNestingDepth/.test(e.message));
  assert.equal(renderTemplate('{% if true %}'.repeat(20) + 'x' + '{% endif %}'.repeat(20), {}), 'x');
});

test('macro recursion deeper than maxNestingDepth is refused when rendering', () => {
  const e = limitError('{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}\n{{ down(0) }}', {});
  assert.equal(e.kind, 'limit');
  assert.match(e.message, /maxNestingDepth/);
  assert.equal(renderTemplate('{% macro down(n) %}{% if n < 10 %}{{ down(n + 1) }}{% else %}{{ n }}{% endif %}{% endmacro %}{{ down(0) }}', {}), '10');
});

test('a render over maxRenderMs stops at the next loop iteration', () => {
  // A zero budget is already spent at the first check, so this is deterministic.
  const e = limitError('{% for i in range(10) %}{{ i }}{% endfor %}', { limits: { maxRenderMs: 0 } });
  assert.equal(e.kind, 'limit');
  assert.match(e.message, /maxRenderMs/);
});

test('the default limits allow ordinary templates', () => {
  const out = renderTemplate('{% for i in range(1000) %}{{ i }},{% endfor %}', {});
  assert.ok(out.endsWith('999,'));
});
