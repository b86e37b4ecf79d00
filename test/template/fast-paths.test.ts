// The renderer's per-shape fast paths (compile.ts): printed context paths cached per render, `{{ var.attr }}`
// steps, `loop.index`, `"%.2f"|format(x)`, inline upper/lower/default. Their outputs against real Jinja2 are in
// the differential test (FASTPATH_TEMPLATES); here: the sandbox, the limits and the per-render cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TemplateError, compileTemplate, renderTemplate } from '../../src/relay/template/index.js';

const r = (src: string, ctx: Record<string, unknown> = {}, o = {}): string => renderTemplate(src, ctx, o);

test('fast paths reach only own data properties, even with a polluted Object.prototype', () => {
  class Host {
    field = 'host-field';
    method(): string {
      return 'called';
    }
  }
  const proto = Object.prototype as Record<string, unknown>;
  proto['polluted'] = 'leak';
  try {
    const ctx = { obj: { a: 1 }, objs: [{ a: 1 }, Object.create({ inherited: 'leak' }) as object], inst: new Host(), insts: [new Host()] };
    const src =
      '{{ obj.polluted }}|{{ obj.constructor }}|{{ obj.toString }}|{{ obj.__proto__ }}|{{ inst.field }}|{{ inst.method }}|' +
      '{% for o in objs %}{{ o.polluted }}{{ o.constructor }}{{ o.toString }}{{ o.__proto__ }}{{ o.inherited }}{{ o.hasOwnProperty }}{{ o.polluted|upper }}{{ o.polluted|default("d") }};{% endfor %}|' +
      '{% for i in insts %}{{ i.field }}{{ i.method }}{{ i.field|upper }}{% endfor %}';
    assert.equal(r(src, ctx), '||||||d;d;|');
    assert.equal(r(src, ctx, { autoescape: true }), '||||||d;d;|');
    assert.throws(() => r('{% for i in insts %}{{ i.method() }}{% endfor %}', ctx), TemplateError);
  } finally {
    delete proto['polluted'];
  }
});

test('printed context values are cached per render only', () => {
  const t = compileTemplate('{{ order.currency }}{{ order.currency }}{{ name }}{{ name }}', { autoescape: true });
  const ctx = { order: { currency: '<EUR>' }, name: 'a&b' };
  assert.equal(t.render(ctx), '&lt;EUR&gt;&lt;EUR&gt;a&amp;ba&amp;b');
  ctx.order.currency = 'USD';
  ctx.name = 'c';
  assert.equal(t.render(ctx), 'USDUSDcc');
  assert.equal(t.render({ order: { currency: 1.0 }, name: null }), '11NoneNone');
  // The same path printed with autoescape on and off keeps both texts apart.
  assert.equal(r('{{ s }}{% autoescape false %}{{ s }}{% endautoescape %}{{ s }}', { s: '<i>' }, { autoescape: true }), '&lt;i&gt;<i>&lt;i&gt;');
});

test('a strict undefined printed through a cached path fails on every render', () => {
  const t = compileTemplate('{{ order.currency }}{{ order.missing }}', { undefined: 'strict', name: 's.txt' });
  for (let i = 0; i < 3; i++) {
    assert.throws(() => t.render({ order: { currency: 'EUR' } }), (e: unknown) => e instanceof TemplateError && e.kind === 'render' && /missing/.test(e.reason));
  }
  assert.equal(t.render({ order: { currency: 'EUR', missing: 'x' } }), 'EURx');
});

test('limits hold on the fast paths: output size through cached and field steps, loop iterations', () => {
  const big = 'x'.repeat(1000);
  const limits = { maxOutputBytes: 10_000 };
  assert.throws(() => r('{% for i in range(100) %}{{ big }}{% endfor %}', { big }, { limits }), (e: unknown) => e instanceof TemplateError && e.kind === 'limit' && /maxOutputBytes/.test(e.reason));
  assert.throws(() => r('{% for i in items %}{{ i.v }}{% endfor %}', { items: Array.from({ length: 100 }, () => ({ v: big })) }, { limits }), (e: unknown) => e instanceof TemplateError && e.kind === 'limit');
  assert.throws(() => r('{% for i in items %}{{ "%.2f"|format(i.v) }}{% endfor %}', { items: Array.from({ length: 20 }, () => ({ v: 1 })) }, { limits: { maxLoopIterations: 10 } }), (e: unknown) => e instanceof TemplateError && e.kind === 'limit' && /maxLoopIterations/.test(e.reason));
  assert.throws(() => r('{{ "%.2f"|format(1e300) }}', {}, { limits: { maxStringRepeat: 100, maxOutputBytes: 100 } }), (e: unknown) => e instanceof TemplateError && e.kind === 'limit');
});

test('errors on fast paths name the node that failed', () => {
  assert.throws(() => r('line1\n{{ "%.2f"|format(s) }}', { s: 'x' }, { name: 'f.txt' }), (e: unknown) => e instanceof TemplateError && e.line === 2 && /real number/.test(e.reason));
  assert.throws(() => r('{% for i in items %}\n  {{ i.a.b }}{% endfor %}', { items: [{}] }), (e: unknown) => e instanceof TemplateError && e.line === 2);
});

test('output is the same after another library makes String.prototype a dictionary-mode prototype', () => {
  const src = '{% for i in items %}{{ loop.index }}{{ i.name|upper }}{{ "%.2f"|format(i.price) }}{{ (i.price * 2)|round(2) }}{{ i.name }}{% endfor %}';
  const ctx = { items: [{ name: 'a<b>"&\'', price: 2.675 }, { name: 'plain', price: 10 }] };
  const before = r(src, ctx, { autoescape: true });
  // What nunjucks' SafeString does on load.
  Object.create(String.prototype, { length: { writable: true, configurable: true, value: 0 } });
  assert.equal(r(src, ctx, { autoescape: true }), before);
  assert.equal(before, '1A&lt;B&gt;&#34;&amp;&#39;2.675.35a&lt;b&gt;&#34;&amp;&#39;2PLAIN10.0020plain');
});
