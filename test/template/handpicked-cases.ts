// Hand-picked templates for the differential test: features the generator does not reach (macro varargs,
// groupby, dictsort, batch/slice fill, textwrap, printf and str.format specs, number formatting, ...).

export const HANDPICKED_VARIABLES = JSON.stringify({ users: [{ name: 'Ann', age: 31, city: 'Oslo', tags: ['a', 'b'] }, { name: 'bob', age: 25, city: 'oslo', tags: [] }, { name: 'Cy', age: 31, city: 'Rome', tags: ['c'] }], d: { b: 2, a: 1, C: 3 }, s: 'Hello <World> & "friends"', n: 7, f: 2.5, html: '<p>Para &amp; <b>bold</b></p>&nbsp;x &copy; &#65;&#x42;', long: 'a verylongwordthatexceedsthewidth and-some-hyphenated-words here', price: 10.0, big: 12345678.9 });
export const HANDPICKED_TEMPLATES: string[] = [
  '{% set top = 1 %}{% for i in [1, 2] %}{% block b %}[{{ top }}{{ i }}]{% endblock %}{% endfor %}{% block c scoped %}{{ i }}{% endblock c %}',
  '{% for i in [1, 2] %}{% block b scoped %}[{{ i }}{{ loop.index }}]{% set z = 1 %}{% endblock %}{% endfor %}{{ z }}',
  '{% autoescape false %}{{ s }}{{ s|e }}{% endautoescape %}|{% autoescape true %}{{ s ~ "<" }}{{ [s, s|safe]|join }}{{ s|replace("<", "[") }}{% endautoescape %}|{{ s }}',

  '{% macro m(a, b=2) %}{{ a }}-{{ b }}-{{ varargs }}-{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}',
  '{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}|{{ m.name }}|{{ m.arguments }}',
  '{% with a = 1 %}{% with b = a + 1 %}{{ a }}{{ b }}{% endwith %}{{ b }}{% endwith %}{{ a }}',
  '{% for u in users %}{% if loop.changed(u.age) %}[{{ u.age }}]{% endif %}{{ u.name }}{% endfor %}',
  '{% set x | upper %}hi {{ s }}{% endset %}{{ x }}', '{% filter replace("o", "0")|upper %}{{ s }} foo{% endfilter %}',
  '{% for g in users|groupby("city") %}{{ g.grouper }}:{{ g.list|map(attribute="name")|join(",") }};{% endfor %}',
  '{% for g in users|groupby("city", case_sensitive=true) %}{{ g.grouper }}:{{ g.list|length }};{% endfor %}',
  '{{ users|groupby("age")|list }}', '{{ d|dictsort(by="value", reverse=true) }}', '{{ d|dictsort(true) }}', '{{ d|dictsort }}',
  '{{ [1,2,3,4,5]|batch(2, "x")|list }}', '{{ [1,2,3,4,5]|slice(3, "x")|list }}', '{{ users|sum(attribute="age") }}', '{{ users|map(attribute="zip", default="?")|list }}',
  '{{ users|selectattr("city", "equalto", "Oslo")|map(attribute="name")|list }}', '{{ ["a","A","b"]|unique|list }}', '{{ ["a","A","b"]|unique(true)|list }}',
  '{{ users|max(attribute="age") }}', '{{ users|min(attribute="name") }}', '{{ ["b","A","c"]|max }}', '{{ ["b","A","c"]|sort }}', '{{ ["b","A","c"]|sort(case_sensitive=true) }}',
  '{{ html|striptags }}', '{{ d|urlencode }}', '{{ "a b&c/d"|urlencode }}', '{{ [("a", 1), ("b c", "d&e")]|urlencode }}',
  '{{ "a\nb\n\nc"|indent(2, true, true) }}', '{{ "a\nb\n\nc"|indent }}', '{{ "a\nb"|indent("--", first=true) }}', '{{ long|wordwrap(10) }}', '{{ long|wordwrap(10, false) }}',
  '{{ long|wordwrap(7, break_on_hyphens=false) }}', '[{{ "ab"|center(7) }}][{{ "abc"|center(8) }}][{{ "abc"|center(2) }}]', '{{ long|truncate(20) }}|{{ long|truncate(20, leeway=0) }}|{{ long|truncate(30, true, "…") }}',
  '{{ "%(a)s-%(b)05.1f"|format(a="x", b=2.25) }}', "{{ '%s|%r|%5.2f%%' % ('a', 'b', 3.14159) }}", "{{ '%d items' % n }}", "{{ '{0:>8}|{1:<6.2f}|{name!r}|{:x}'.format('a', 2.5, 255, name='n') }}",
  '{{ "0x1A"|int(0, 16) }} {{ "12abc"|int(-1) }} {{ "3.9"|int }} {{ " 42 "|int }} {{ "1e3"|float }} {{ "abc"|float(1.5) }} {{ true|int }} {{ 3.99|int }}',
  '{{ price }} {{ price * 3 }} {{ price|round }} {{ big }} {{ big|round(-3) }} {{ big|filesizeformat }} {{ 1|filesizeformat }} {{ 999|filesizeformat }} {{ 1024|filesizeformat(true) }}',
  '{{ f|round(0, "ceil") }} {{ -f|round(0, "floor") }} {{ (2.5)|round }} {{ (-2.5)|round }} {{ 0.125|round(2) }} {{ 1.005|round(2) }} {{ 7|round(-1) }}',
  '{{ s|wordcount }} {{ s|title }} {{ "hELLO wORLD"|capitalize }} {{ "they\'re bill\'s"|title }} {{ s|replace("o", "0", 1) }} {{ s|reverse }}',
  '{{ users[0].tags|join }} {{ users|map(attribute="tags")|map("length")|list }} {{ users|rejectattr("tags")|map(attribute="name")|list }}',
  '{{ users[0]["name"] }} {{ users[-1].name }} {{ users[5] }} {{ users[0].nope.deeper is defined }}',
  '{{ "%s"|format(users[0]) }} {{ users[0] }} {{ users[0].items()|list }}', '{{ (1, 2) + (3,) }} {{ [1] * 3 }} {{ "ab" * 2 }} {{ 2 * "ab" }}',
  '{{ 10 // 3 }} {{ -10 // 3 }} {{ 10 % -3 }} {{ 10.5 // 3 }} {{ -10.5 % 3 }} {{ 2 ** 0.5 }} {{ 10 / 4 }} {{ 1 / 3 }} {{ 2 ** 62 }}',
  '{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ "a" in "abc" }} {{ 1 in [1, 2] }} {{ "a" in d }} {{ "a" not in d }} {{ none is none }} {{ 1 == 1.0 }}',
  '{{ s|e|length }} {{ s|length }} {{ s|first }} {{ s|last }} {{ s[1:4] }} {{ s[::-1] }} {{ s|list|length }}',
  '{% set ns = namespace(total=0, items=[]) %}{% for u in users %}{% set ns.total = ns.total + u.age %}{% endfor %}{{ ns.total }}',
  '{% for a, b in d.items() %}{{ a }}{{ b }}{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for v in d.values() %}{{ v }}{% endfor %}',
  '{% for x in range(3) %}{% for y in range(2) %}{{ loop.index }}{{ x }}{% endfor %}{% endfor %}', '{% for x in [] %}a{% else %}{{ x }}b{% endfor %}',
  '{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = (1, 2) %}{{ c }}', '{% if n is divisibleby(7) and not n is even %}yes{% elif n %}no{% endif %}',
  '{{ s|tojson }} {{ d|tojson(indent=2) }} {{ [1.0, 2.5, none, true, "é<"]|tojson }}', '{{ users|selectattr("age", ">", 30)|list|length }} {{ [1,2,3]|select(">", 1)|list }} {{ [1,2,3]|select("in", [1,3])|list }}',
  '{{ "abc"|batch(2)|list }} {{ d.get("a") }} {{ d.get("zz") }} {{ d["C"] }} {{ s.split(" ", 1) }} {{ s.lower().startswith(("hello", "x")) }} {{ "  x  ".strip() }} {{ "xxaxx".strip("x") }}',
];

/** Edge cases: undefined and none handling, Markup, unicode case mapping, reprs, errors. */
export const EDGE_VARIABLES = JSON.stringify({ s: '<b>x</b>', n: 3, none: null, e: '', lst: [3, 1, 2], u: 'straße ǅ ﬁ', obj: { a: { b: [1, { c: 'deep' }] } } });
export const EDGE_TEMPLATES: string[] = [
  '{{ missing + 1 }}', '{{ missing ~ "x" }}', '{{ missing|length }}', '{{ missing|upper }}', '{{ missing|list }}', '{{ missing is sequence }}', '{{ missing is iterable }}', '{{ missing|default(none) }}',
  '{{ none|default("x") }}', '{{ none ~ "x" }}', '{{ none|length }}', '{{ none.attr }}', '{{ none["k"] }}', '{{ n.attr }}', '{{ n[0] }}', '{{ lst.attr }}', '{{ lst["x"] }}',
  '{{ s|e|e }}', '{{ 3|e }}', '{{ s|safe|upper }}', '{{ s|safe|tojson }}', '{{ (s|safe) + "<i>" }}', '{{ "<i>" + s|safe }}', '{{ [s|safe] }}', '{{ {"k": s|safe} }}',
  '{% macro m() %}<{{ s }}>{% endmacro %}{{ m() }}{{ m()|length }}', '{% set x %}<{{ s }}>{% endset %}{{ x }}{{ x|length }}', '{{ u|upper }} {{ u|title }} {{ u|capitalize }} {{ u|length }} {{ u|lower }}',
  '{{ obj.a.b[1].c }} {{ obj["a"]["b"][0] }} {{ obj.a.b.1.c }} {{ obj.a.x.y is defined }}', '{{ obj.a.b[5].c }}', '{{ lst|sort|first }} {{ lst|sort(reverse=true)|join }} {{ lst|sum / lst|length }}',
  '{{ e or "empty" }} {{ e and "x" }} {{ not e }} {{ none or 0 or "" }}', '{{ "%s" % none }} {{ "%s %s" % (1, 2) }} {{ "%s" % [1, 2] }} {{ "%s" % (none,) }}',
  '{% for x in lst %}{{ loop.previtem }}|{{ loop.nextitem }};{% endfor %}', '{% for x in "ab" %}{{ x }}{% endfor %}{% for k in {"z": 1, "a": 2} %}{{ k }}{% endfor %}',
  '{{ 1 if true }}|{{ 1 if false }}|{{ (1 if false) is defined }}', '{{ range(5)[1:3] }} {{ range(0) }} {{ range(5, 1, -2)|list }} {{ range(3)|length }}',
  '{{ -n }} {{ +n }} {{ -none }}', '{{ n ~ 1.0 ~ 2 }} {{ 1.0 }} {{ 1e0 }} {{ 100000000000000000.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ -0.0 }} {{ 1_000 }}',
  '{{ "a" < "b" }} {{ [1, 2] < [1, 3] }} {{ (1, 2) == [1, 2] }} {{ 1 < "a" }}', "{{ 'it''s' }} {{ \"\\x41\\u00e9\\n\" }} {{ 'a\\tb' }}",
  '{% set d = {"a": 1} %}{{ d.a }}{{ d["a"] }}{{ d.get("a") }}{{ d.items()|list }}{{ d|length }}', '{{ dict(a=1) == {"a": 1} }} {{ {"a": 1, "b": 2} == {"b": 2, "a": 1} }}',
  '{{ lst|map("string")|join("|") }} {{ lst|map("int")|sum }} {{ ["1", "2"]|map("int")|sum }}', '{{ lst|select("odd")|list }} {{ lst|reject("odd")|list }} {{ lst|select|list }}',
  
  '{{ "abc".upper().lower().title() }} {{ "Hello World".replace("o", "0").startswith("Hell") }}',
  '{% for i in range(3) %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}', '{{ "{}-{}".format(1) }}', '{{ "%d" % "x" }}', '{{ 1 + "a" }}', '{{ [1] + (2,) }}',
  '{{ "hello"|replace("l", "L", 1) }} {{ "a.b.c".split(".") }} {{ "a,b,,c".split(",") }} {{ "  a  b ".split() }}',
  '{{ lst.index(1) }} {{ lst.count(3) }}',
];

/** Rendered with undefined: 'strict' (Jinja2's StrictUndefined). */
export const STRICT_VARIABLES = JSON.stringify({ d: { a: 1 }, l: [1, 2], s: 'x' });
export const STRICT_TEMPLATES: string[] = ['{{ missing }}', '{{ missing is defined }}', '{{ missing|default("d") }}', '{{ d.nope }}', '{{ d.nope is defined }}', '{{ d.nope|default(1) }}', '{% if missing %}x{% endif %}',
 '{% for x in missing %}{% endfor %}', '{{ missing == 1 }}', '{{ 1 in missing }}', '{{ missing ~ "" }}', '{{ l[5] }}', '{{ l[5] is undefined }}', '{{ (1 if false) }}', '{{ missing|length }}',
 '{{ missing is none }}', '{{ missing|string }}', '{{ missing|tojson }}', '{% set y = missing %}ok', '{{ [missing] }}', '{{ missing or "a" }}', '{{ not missing }}', '{% for x in l %}{{ loop.previtem }}{% endfor %}'];

/** Unicode, number formatting and indexing corner cases. */
export const CORNER_VARIABLES = JSON.stringify({ s: 'abc', e: 'é😀x', n: 0, big: 1e300, small: 1e-300, nl: 'a\r\nb\rc' });
export const CORNER_TEMPLATES: string[] = ['{{ s|replace("", "-") }}', '{{ s|replace("", "-", 2) }}', '{{ s|replace("", "-", 0) }}', "{{ s.replace('', '+') }}", '{{ e|length }} {{ e[1] }} {{ e|reverse }} {{ e|list }} {{ e[::-1] }} {{ e|center(7) }} {{ e|truncate(3, true, "") }}',
  '{{ big * 10 }} {{ -big * 10 }} {{ small / 1e300 }} {{ big|round(2) }} {{ 1e16 }} {{ 1.5e16|int }} {{ 0.1 * 3 }}', '{{ nl|wordcount }} {{ nl|indent(1) }} {{ nl|length }}',
  '{{ "%.3e"|format(12345.678) }} {{ "%g"|format(0.0001) }} {{ "%g"|format(123456789) }} {{ "%G"|format(1e-10) }} {{ "%#x"|format(255) }} {{ "%o"|format(8) }} {{ "%c"|format(65) }} {{ "%r"|format("a") }}',
  "{{ '{:>10.3f}|{:^9}|{:+d}|{:,}|{:08.2f}|{:.1%}|{:e}'.format(3.14159, 'mid', 5, 1234567, -3.14159, 0.256, 12345.6789) }}", '{{ "{:x}|{:b}|{:o}|{:X}".format(255, 5, 8, 255) }}',
  '{{ 5 // 0 }}', '{{ 5.0 % 0 }}', '{{ [1, 2][1.0] }}', '{{ "abc"[1.5] }}', '{{ {"a": 1}[["a"]] }}', '{{ {[1]: 2} }}'];

/** Scoping: macros (defaults, closures, recursion, varargs), loops, set, with, filter and set blocks. */
export const SCOPE_VARIABLES = JSON.stringify({ x: 'ctx', items: [1, 2, 3], m: 'var-m' });
export const SCOPE_TEMPLATES: string[] = [
  '{% set comma = joiner(", ") %}{% for i in items %}{{ comma() }}{{ i }}{% endfor %}{% set j = joiner() %}|{{ j() }}{{ j() }}{{ j() }}',
  '{% set c = cycler("odd", "even") %}{% for i in items %}{{ c.next() }}{{ c.current }} {% endfor %}{{ c.reset() }}{{ c.current }}',
  '{% macro f(a, b=a * 2) %}{{ a }}/{{ b }}{% endmacro %}{{ f(1) }} {{ f(1, 5) }} {{ f(b=3, a=2) }}',
  '{% macro f() %}{% set x = "inner" %}{{ x }}{% endmacro %}{{ f() }}{{ x }}',
  '{% for i in items %}{% macro g() %}{{ i }}{% endmacro %}{{ g() }}{% endfor %}',
  '{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}',
  '{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}', '{% macro f(a) %}{{ a }}{% endmacro %}{{ f(b=1) }}',
  '{% if true %}{% macro f() %}in-if{% endmacro %}{% endif %}{{ f() }}', '{{ m }}{% macro m() %}macro{% endmacro %}{{ m() }}',
  '{% set x = 1 %}{% macro f() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ f() }}', '{% macro f() %}{{ caller is defined }}{% endmacro %}{{ f() }}',
  '{% for a in items %}{% for b in items %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}',
  '{% with %}{% set y = 1 %}{% endwith %}{{ y }}', '{% if true %}{% set y = 1 %}{% endif %}{{ y }}', '{% for i in items %}{% set y = i %}{% endfor %}{{ y }}',
  '{% set y = 0 %}{% for i in items %}{{ y }}{% set y = y + i %}{{ y }},{% endfor %}{{ y }}', '{% for i in items %}{{ loop.length }}{{ loop.revindex }}{% endfor %}',
  '{% for i in items if i > 1 %}{{ loop.index }}:{{ i }}{{ loop.last }} {% endfor %}', '{% for k, v in {"a": 1, "b": 2}.items() %}{{ k }}{{ v }}{% endfor %}',
  '{% for a, (b, c) in [(1, (2, 3))] %}{{ a }}{{ b }}{{ c }}{% endfor %}', '{% set a, b = "xy" %}{{ b }}{{ a }}', '{% for x in items %}{% endfor %}{{ x }}',
  '{% filter upper %}{% for i in items %}{{ x }}{% endfor %}{% endfilter %}', '{% set t %}{% for i in items %}{{ i }}{% endfor %}{% endset %}{{ t|length }}{{ t }}',
  '{% macro f() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, k=3) }}', '{% macro f(a) %}{{ a }}{{ varargs|length }}{% endmacro %}{{ f() }}',
];

// The renderer's fast paths (per-shape steps and closures in compile.ts): each shape next to the cases that must fall back.
export const FASTPATH_VARIABLES = JSON.stringify({
  items: [
    { name: 'Product <1> & "friends"', qty: 2, price: 9.99, note: 'Gift', sku: null },
    { name: "Ünïcode 'q'", qty: 1, price: 10.0, note: '', sku: 'SKU-1' },
    { name: 'plain', qty: 3, price: 2.675, sku: 'x<y' },
  ],
  order: { currency: 'EUR', n: 3, f: 2.5, none: null, nested: { deep: 'x&y', list: [1, 'a<'] }, zero: 0 },
  s: 'Hello <World>',
  fmt: '%.2f',
  nodes: [{ name: 'a', children: [{ name: 'b', children: [] }, { name: 'c', children: [{ name: 'd', children: [] }] }] }, { name: 'e', children: [] }],
});
export const FASTPATH_TEMPLATES: string[] = [
  '{% for item in items %}{{ loop.index }}{{ item.name }}|{{ item.name|upper }}|{{ item.sku|default("x") }}|{{ item.missing|default("m") }}|{{ item.note|default("n") }}|{{ "%.2f"|format(item.price) }}|{{ fmt|format(item.price) }}|{{ "%s"|format(item.name) }}|{{ "%d"|format(item.qty) }}|{{ (item.price * item.qty)|round(2) }}|{{ item.qty }}|{{ item.price }}|{{ item.sku }}|{{ item.note }}|{{ order.currency }}{% endfor %}',
  '{{ order.currency }}{{ order.currency }}|{{ order.nested.deep }}{{ order.nested.deep }}|{{ order.missing }}|{{ order.nested.list }}|{{ order.none }}|{{ order.f }}|{{ order.zero }}|{{ s }}{{ s }}|{{ missing }}|{{ order }}',
  '{{ "%.2f"|format(3) }} {{ "%.2f"|format(2.675) }} {{ "%.0f"|format(0.5) }} {{ "%.0f"|format(1.5) }} {{ "%.3F"|format(-1.0005) }} {{ "%f"|format(1.5) }} {{ "%5.1f"|format(2.25) }} {{ "%+.1f"|format(2) }} {{ "%.2f"|format(true) }} {{ "%.2f"|format(-0.0) }} {{ "%.1f"|format(1e20) }}',
  '{{ "%.2f"|format("x") }}', '{{ "%.2f"|format(missing) }}', '{{ "%s"|format(missing) }}|{{ "%s"|format(none) }}|{{ "%s"|format(s) }}|{{ "%r"|format(s) }}|{{ "%x"|format(255) }}',
  '{{ "%.2f %s"|format(1) }}', '{{ "%%"|format(1) }}', '{{ "%(a)s"|format(1) }}', '{{ "%.2f"|format(1, 2) }}',
  '{{ s|upper }} {{ (s|safe)|upper }} {{ 3|upper }} {{ none|upper }} {{ missing|upper }}. {{ s|lower }} {{ (s|safe)|lower }} {{ [1, "a"]|upper }} {{ 2.0|lower }}',
  '{{ missing|default("d") }} {{ none|default("d") }} {{ ""|default("d") }} {{ ""|default("d", true) }} {{ missing|default }}. {{ missing|d(s) }} {{ order.missing|d("<b>") }} {{ missing|default("<b>"|safe) }} {{ missing|default(none) }}',
  '{% for x in [1, 2] %}{% for y in [3] %}{{ loop.index }}{% endfor %}{{ loop.index }}{{ loop.index is odd }}{% endfor %}', '{{ loop.index }}', '{% for x in [1] %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.nope }}.{% endfor %}',
  '{% set o = {"a": "<x>", 1: 2} %}{{ o.a }}{{ o.b }}.{% for k in [o] %}{{ k.a }}{{ k.b }}{% endfor %}', '{% set t = (1, 2) %}{{ t.a }}.{% for w in ["ab", "c"] %}{{ w.x }}{{ w|upper }}{% endfor %}',
  '{% for item in items %}{{ item.qty }}{% if loop.index is odd %}o{% endif %}{% if item.note %}[{{ item.note }}]{% endif %}{% endfor %}',
  '{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}|{% for x in [1, 2, 3] %}{{ x }}{% if x == 2 %}{% break %}{% endif %}-{% endfor %}',
  '{% for item in items %}{% set item = {"name": "shadow"} %}{{ item.name }}{% endfor %}{% set order = {"currency": "USD"} %}{{ order.currency }}',
  '{% autoescape false %}{{ s }}{{ order.nested.deep }}{% for i in items %}{{ i.name }}{% endfor %}{% endautoescape %}{{ s }}{{ order.nested.deep }}',
  '{% macro m(p) %}{{ p.name }}{{ p.qty }}{{ order.currency }}{% endmacro %}{% for i in items %}{{ m(i) }}{% endfor %}{{ m(items[0]) }}',
  // Loop variables read from frame slots: recursion through a macro, shadowing loops, scopes inside the body.
  '{% macro tree(ns) %}{% for n in ns %}[{{ n.name }}{{ loop.index }}{{ tree(n.children) }}{{ n.name }}{{ loop.index }}{{ n }}]{% endfor %}{% endmacro %}{{ tree(nodes) }}',
  '{% for x in [1, 2] %}{% for x in [x * 10, x * 20] if x > 15 %}{{ x }}.{{ loop.index }},{% endfor %}{{ x }}.{{ loop.index }};{% endfor %}',
  '{% for item in items %}{% block b %}[{{ item }}]{% endblock %}{% with q = item.qty %}{{ item.qty }}{{ q }}{% endwith %}{% filter upper %}{{ item.name }}{% endfilter %}{% endfor %}',
  '{% set item = "outer" %}{% for item in items %}{{ item.qty }}{% endfor %}{{ item }}{% for item in items %}{% if loop.first %}{% set item = "in" %}{% endif %}{{ item }}{% endfor %}',
  '{% for item in items %}{% for c in item.name[:2] %}{{ c }}{{ item.qty }}{{ loop.index }}{% endfor %}{{ loop.index }}{% else %}{{ item }}{% endfor %}{% for item in [] %}{% else %}[{{ item }}]{% endfor %}',
  '{{ 2.675|round(2) }} {{ 2.5|round }} {{ -2.5|round }} {{ 1.005|round(2) }} {{ 0.00001234|round(7) }} {{ 1234.5678|round(-2) }} {{ 3|round(1) }} {{ (0.1 + 0.2)|round(15) }} {{ 2.5|round(0) }} {{ -0.4|round }} {{ 123456789.987654321|round(3) }} {{ order.f|round(1) }} {{ "x"|round(1) }}',
  '{{ none|round(2) }}', '{{ missing|round(2) }}', '{% for i in items %}{{ (i.price * i.qty)|round(2) }} {{ i.price|round(1, "floor") }} {{ i.price|round(precision=1) }};{% endfor %}',
  '{% for n in nodes %}{% macro show() %}{{ n.name }}{% endmacro %}{{ show() }}{% endfor %}|{% for n in nodes %}{% set t %}{{ n.name }}!{% endset %}{{ t }}{% endfor %}',
];
export const FASTPATH_STRICT_TEMPLATES: string[] = [
  '{{ order.missing }}', '{{ order.currency }}{{ order.missing }}', '{% for item in items %}{{ item.name }}{{ item.missing }}{% endfor %}',
  '{{ missing|upper }}', '{{ missing|default("d") }}{{ order.missing|default("e") }}', '{{ "%s"|format(missing) }}', '{{ missing }}',
];
