// Behaviours the relay relies on, pinned with Jinja2's outputs (checked against Jinja2 3.1.6).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TemplateCache, TemplateError, compileTemplate, parseTemplateVariables, renderTemplate } from '../../src/relay/template/index.js';

const r = (src: string, ctx: Record<string, unknown> = {}, o = {}): string => renderTemplate(src, ctx, o);

test('whitespace control, trim_blocks, lstrip_blocks and the trailing newline follow Jinja2', () => {
  const src = '<ul>\n  {% for x in xs %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n';
  assert.equal(r(src, { xs: [1, 2] }), '<ul>\n  \n  <li>1</li>\n  \n  <li>2</li>\n  \n</ul>');
  assert.equal(r(src, { xs: [1, 2] }, { trimBlocks: true, lstripBlocks: true }), '<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>');
  assert.equal(r(src, { xs: [] }, { trimBlocks: true, lstripBlocks: true, keepTrailingNewline: true }), '<ul>\n</ul>\n');
  assert.equal(r('a  {%- if true -%}  b  {%- endif %}  c'), 'ab  c');
  assert.equal(r('  {%+ if true %}x{% endif %}', {}, { lstripBlocks: true }), '  x');
  assert.equal(r('{% raw %}{{ x }}{% endraw %}'), '{{ x }}');
  assert.equal(r('a\r\nb\r\n'), 'a\nb');
});

test('numbers print as Python prints them', () => {
  assert.equal(r('{{ 1 / 2 }} {{ 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 0.1 + 0.2 }} {{ 1e20 * 1.0 }} {{ 1.5e-7 }}'), '0.5 2.0 3 -4 2 1024 0.5 0.30000000000000004 1e+20 1.5e-07');
  assert.equal(r('{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 42|round }} {{ 3.14159|round(2, "floor") }}'), '2.0 4.0 2.67 42 3.14');
  assert.equal(r('{{ "%.2f"|format(2.675) }} {{ "%5d|%-5s|%x"|format(42, "ab", 255) }} {{ "{:,.2f}".format(1234567.891) }}'), '2.67    42|ab   |ff 1,234,567.89');
  assert.equal(r('{{ price }} {{ qty }}', parseTemplateVariables('{"price": 10.0, "qty": 3}')), '10.0 3');
});

test('values print as Python reprs and truthiness is Python truthiness', () => {
  assert.equal(r("{{ [1, 'a', none, true, 2.0] }} {{ {'k': 'v'} }} {{ (1,) }} {{ ('a', 2) }} {{ \"it's\" ~ [\"it's\"] }}"), "[1, 'a', None, True, 2.0] {'k': 'v'} (1,) ('a', 2) it's[\"it's\"]");
  assert.equal(r('{{ [] or "empty" }} {{ {} or "empty" }} {{ 0 or "zero" }} {{ "" or "blank" }} {{ 1 and "yes" }} {{ obj or "no" }}', { obj: {} }), 'empty empty zero blank yes no');
});

test('lenient undefined prints empty, strict undefined raises, missing.attr always raises', () => {
  assert.equal(r('[{{ missing }}][{{ user.missing }}][{% for x in missing %}x{% endfor %}][{{ missing|default("d") }}]', { user: {} }), '[][][][d]');
  assert.throws(() => r('{{ missing.attr }}'), /'missing' is undefined/);
  assert.throws(() => r('{{ missing }}', {}, { undefined: 'strict' }), (e: unknown) => e instanceof TemplateError && e.kind === 'render');
  assert.equal(r('{{ missing is defined }}{{ missing|default("d") }}', {}, { undefined: 'strict' }), 'Falsed');
});

test('autoescape escapes with markupsafe entities and respects safe values', () => {
  const o = { autoescape: true };
  assert.equal(r(`{{ s }}|{{ s|safe }}|{{ s|e|e }}|{{ "<" ~ s|safe }}|{{ s ~ "x" }}`, { s: `<a href="x">'&'</a>` }, o), '&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;|<a href="x">\'&\'</a>|&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;|&lt;<a href="x">\'&\'</a>|&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;x');
  assert.equal(r("{{ {'a': '<b>'}|tojson }}", {}, o), '{"a": "\\u003cb\\u003e"}');
  assert.equal(r('{% macro b(t) %}<b>{{ t }}</b>{% endmacro %}{{ b("<i>") }}', {}, o), '<b>&lt;i&gt;</b>');
  assert.equal(r('{% set x %}<br>{% endset %}{{ x }}', {}, o), '<br>');
});

test('loops expose loop.* and keep set inside the loop body', () => {
  assert.equal(
    r('{% for x in xs %}{{ loop.index }}{{ loop.revindex0 }}{{ loop.cycle("a", "b") }}{% if loop.changed(x) %}!{% endif %}{{ loop.previtem|default("-") }}{% endfor %}', { xs: [1, 1, 2] }),
    '12a!-21b130a!1',
  );
  assert.equal(r('{% set n = 0 %}{% for x in [1, 2] %}{% set n = n + x %}{{ n }}{% endfor %}{{ n }}'), '120');
  assert.equal(r('{% set ns = namespace(n=0) %}{% for x in [1, 2] %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}'), '3');
  assert.equal(r('{% for k, v in d|dictsort %}{{ k }}={{ v }};{% else %}none{% endfor %}', { d: { b: 2, a: 1 } }), 'a=1;b=2;');
  assert.equal(r('{% for x in [] %}x{% else %}none{% endfor %}'), 'none');
});

test('errors carry the line and column of the failing construct', () => {
  try {
    compileTemplate('ok\n  {{ 1 +* 2 }}', { name: 'order.html' });
    assert.fail('expected a syntax error');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.kind, 'syntax');
    assert.equal(e.line, 2);
    assert.equal(e.column, 9);
    assert.match(e.message, /order\.html.*line 2, column 9/);
  }
  try {
    r('a\nb {{ 1 / 0 }}');
    assert.fail('expected a render error');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.kind, 'render');
    assert.equal(e.line, 2);
    assert.match(e.message, /division by zero/);
  }
});

test('include, extends and import are refused as not supported', () => {
  for (const tag of ['{% include "x.html" %}', '{% extends "base.html" %}', '{% import "m.html" as m %}', '{% from "m" import x %}']) {
    assert.throws(() => compileTemplate(tag), (e: unknown) => e instanceof TemplateError && e.kind === 'syntax' && /not supported/.test(e.message));
  }
  assert.throws(() => compileTemplate('{{ x|nosuchfilter }}'), /no filter named 'nosuchfilter'/);
});

test('safe Python methods work and nothing else is callable', () => {
  assert.equal(r("{{ d.items()|list }} {{ d.get('a') }} {{ d.get('z', 0) }} {{ s.strip().upper() }} {{ s.split(',') }} {{ 'a-b'.replace('-', '+') }} {{ l.index(2) }}", { d: { a: 1 }, s: ' x,y ', l: [1, 2] }), "[('a', 1)] 1 0 X,Y [' x', 'y '] a+b 1");
  assert.throws(() => r('{{ s.encode() }}', { s: 'x' }), /has no attribute|not callable/);
});

test('TemplateCache compiles once per (id, version, options) and stays bounded', () => {
  const cache = new TemplateCache(2);
  const a1 = cache.getOrCompile('welcome', 1, 'Hi {{ n }}');
  assert.equal(cache.getOrCompile('welcome', 1, 'ignored: cached'), a1);
  const a2 = cache.getOrCompile('welcome', 2, 'Hello {{ n }}');
  assert.notEqual(a2, a1);
  assert.equal(a2.render({ n: 'x' }), 'Hello x');
  cache.getOrCompile('other', 1, 'o');
  assert.equal(cache.size, 2);
  assert.notEqual(cache.getOrCompile('welcome', 1, 'Hi again {{ n }}').render({ n: 1 }), 'Hi 1');
  cache.invalidate('welcome');
  assert.equal(cache.size, 1);
});
