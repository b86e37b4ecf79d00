// Generated templates and variables rendered by us and by real Jinja2 3.1 (one python3 process) give the same output,
// or both fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TemplateError, parseTemplateVariables, renderTemplate } from '../../src/relay/template/index.js';
import {
  CORNER_TEMPLATES,
  CORNER_VARIABLES,
  EDGE_TEMPLATES,
  EDGE_VARIABLES,
  HANDPICKED_TEMPLATES,
  HANDPICKED_VARIABLES,
  SCOPE_TEMPLATES,
  SCOPE_VARIABLES,
  FASTPATH_STRICT_TEMPLATES,
  FASTPATH_TEMPLATES,
  FASTPATH_VARIABLES,
  STRICT_TEMPLATES,
  STRICT_VARIABLES,
} from './handpicked-cases.js';
import { renderWithJinja2, type ReferenceCase } from './jinja2-reference.js';
import { needTool } from '../support/system-tools.js';

// ---- variables --------------------------------------------------------------------------------

const text = fc.constantFrom('hello world', 'Ann <ann@example.com>', "it's \"quoted\" & more", '  padded  ', 'MiXeD case-words here', '', 'é ü ñ', 'a-b c(d) [e] <f>', 'one two three four five six seven eight nine ten eleven twelve', '<b>bold</b> &amp; text');
const int = fc.integer({ min: -1000, max: 1000 });
const frac = fc.double({ min: -1000, max: 1000, noNaN: true }).filter((d) => !Number.isInteger(d));
const item = fc.record({ name: text, qty: fc.integer({ min: 0, max: 9 }), price: frac });

const variables = fc.record({
  s: text,
  t: text,
  n: int,
  m: fc.integer({ min: -20, max: 20 }),
  f: frac,
  flag: fc.boolean(),
  nums: fc.array(int, { maxLength: 6 }),
  words: fc.array(text, { maxLength: 5 }),
  items: fc.array(item, { maxLength: 5 }),
  user: fc.record({ name: text, city: text, age: int }),
});

// ---- templates --------------------------------------------------------------------------------

const numberAtom = fc.constantFrom('n', 'm', 'f', '2', '-3', '2.5', '4.0', '0', 'nums|length', 'user.age', 'items|length');
const stringAtom = fc.constantFrom('s', 't', "'lit'", '"<x> & y"', 'user.name', "user['city']", 'words|join(", ")', 'missing', 'user.missing');
const anyAtom = fc.oneof(numberAtom, stringAtom, fc.constantFrom('flag', 'none', 'true', 'nums', 'words', 'user', '[n, s]', "{'k': n}", '(m, t)', 'items[0]', 'nums[1:]', 's[::2]', 'nums[-1]'));

const stringFilter = fc.constantFrom(
  'upper', 'lower', 'title', 'capitalize', 'trim', 'length', "replace('e', 'E')", 'truncate(12)', 'truncate(9, true)', 'center(30)',
  'wordcount', 'first', 'last', 'e', 'striptags', 'urlencode', 'tojson', 'indent(2)', "default('dflt')", 'string',
  'list', 'wordwrap(12)', 'safe', "default('x', true)", 'count',
);
const numberFilter = fc.constantFrom('round', 'round(2)', "round(1, 'floor')", 'int', 'float', 'abs', 'string', 'filesizeformat', 'filesizeformat(true)', "default(0)");
const seqFilter = fc.constantFrom(
  'sort|list', 'unique|list', 'reverse|list', 'min', 'max', 'sum', 'batch(2)|list', 'slice(2)|list', 'first', 'last', 'length',
  "join('-')", 'list', "map('string')|join(',')", "select('odd')|list", "reject('even')|list", 'sort(reverse=true)|list', 'tojson',
);
const itemsFilter = fc.constantFrom(
  "map(attribute='name')|join(', ')", "sum(attribute='qty')", "sort(attribute='price')|map(attribute='qty')|list",
  "selectattr('qty', 'gt', 3)|list|length", "rejectattr('qty')|list|length", "groupby('qty')|map(attribute='grouper')|list",
  "map(attribute='price')|map('round', 1)|list", 'length', "max(attribute='qty')|attr('name')", "unique(attribute='qty')|list|length",
);
const test_ = fc.constantFrom('defined', 'undefined', 'none', 'number', 'string', 'mapping', 'sequence', 'iterable', 'odd', 'even', 'divisibleby 3', 'integer', 'float', 'boolean', 'lower', 'upper', "eq 2", 'gt 0', "in [1, 2, 3]");
const binop = fc.constantFrom('+', '-', '*', '/', '//', '%', '**');
const cmpop = fc.constantFrom('==', '!=', '<', '<=', '>', '>=');

const expression: fc.Arbitrary<string> = fc.oneof(
  anyAtom,
  fc.tuple(stringAtom, stringFilter).map(([a, f]) => `${a}|${f}`),
  fc.tuple(stringAtom, stringFilter, stringFilter).map(([a, f, g]) => `${a}|${f}|${g}`),
  fc.tuple(numberAtom, numberFilter).map(([a, f]) => `${a}|${f}`),
  fc.tuple(fc.constantFrom('nums', 'words'), seqFilter).map(([a, f]) => `${a}|${f}`),
  itemsFilter.map((f) => `items|${f}`),
  // Integers past 2^53 are out of scope, so powers keep small exponents.
  fc.tuple(numberAtom, binop, numberAtom).map(([a, op, b]) => `${a} ${op} ${op === '**' ? '2' : b}`),
  fc.tuple(numberAtom, binop, numberAtom, binop, numberAtom).map(([a, op, b, op2, c]) => `(${a} ${op} ${op === '**' ? '2' : b}) ${op2 === '**' ? '+' : op2} ${c}`),
  fc.tuple(anyAtom, anyAtom).map(([a, b]) => `${a} ~ ${b}`),
  fc.tuple(stringAtom, stringAtom).map(([a, b]) => `${a} + ${b}`),
  fc.tuple(numberAtom, cmpop, numberAtom, cmpop, numberAtom).map(([a, o, b, p, c]) => `${a} ${o} ${b} ${p} ${c}`),
  fc.tuple(anyAtom, test_).map(([a, t]) => `${a} is ${t}`),
  fc.tuple(anyAtom, test_).map(([a, t]) => `${a} is not ${t}`),
  fc.tuple(anyAtom, anyAtom, anyAtom).map(([a, b, c]) => `${a} if ${b} else ${c}`),
  fc.tuple(anyAtom, anyAtom).map(([a, b]) => `${a} and ${b}`),
  fc.tuple(anyAtom, anyAtom).map(([a, b]) => `not ${a} or ${b}`),
  fc.tuple(stringAtom, fc.constantFrom('s', 'words', "'abc'", 'user')).map(([a, b]) => `${a} in ${b}`),
  fc.constantFrom(
    "'%s has %d items'|format(s, n)", "'%05.1f|%-6s|%x'|format(f, t, m if m > 0 else 7)", "'{} and {}'.format(s, n)", "s.upper()", 's.split()',
    "s.startswith('a')", "user.get('nope', 'fallback')", 'user.keys()|list', 'user.items()|list', 'user|dictsort', "user|dictsort(by='value')|first",
    'user|items|list', "nums.count(1)", "'%.2f'|format(f)", 'f * 2', 'n / 4', '-f', 'range(m if m > 0 else 3)|list', 'range(1, 10, 3)|sum',
    'dict(a=n, b=s)', "namespace(v=n).v", "{'a': [1, 2.0, none, true]}", "('x',)", '1e3', '1.5e-7', '10 ** 15', '7 // -2', '-7 % 3', '7.5 % 2',
    "s|replace(' ', '')|length", "'ab' * 3", "[1, 2] + [3]", 'nums + [f]', "words|map('upper')|join", "t|wordwrap(8, wrapstring='/')",
  ),
);

const statement: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: expression.map((e) => `{{ ${e} }}`) },
  { weight: 1, arbitrary: fc.constantFrom('plain text\n', ' <p>&amp;</p> ', '\n  indented\n', '{# a comment #}', '{{- " trimmed " -}}', '{% raw %}{{ not an expression }}{% endraw %}') },
  {
    weight: 2,
    arbitrary: fc.tuple(expression, expression, expression).map(([c, a, b]) => `{% if ${c} %}[{{ ${a} }}]{% else %}({{ ${b} }}){% endif %}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom('nums', 'words', 'items', 'user', 's', 'range(3)', 'user|dictsort'), expression).map(
      ([seq, e]) =>
        `{% for x in ${seq} %}{{ loop.index }}/{{ loop.length }}{% if loop.first %}^{% endif %}{{ x }}:{{ ${e} }}{{ loop.cycle('a', 'b') }}{% if not loop.last %},{% endif %}{% else %}empty{% endfor %}`,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(expression, expression).map(([a, b]) => `{% set v = ${a} %}{% for i in [1, 2] %}{% set v = ${b} %}{% endfor %}{{ v }}`),
  },
  { weight: 1, arbitrary: expression.map((e) => `{% set blk %}<{{ ${e} }}>{% endset %}{{ blk|length }}{{ blk }}`) },
  { weight: 1, arbitrary: expression.map((e) => `{%- filter upper -%} {{ ${e} }} {%- endfilter %}`) },
  { weight: 1, arbitrary: fc.tuple(expression, expression).map(([a, b]) => `{% macro mac(p, q='d') %}{{ p }}-{{ q }}{% endmacro %}{{ mac(${a}) }}{{ mac(${b}, q=1) }}`) },
  { weight: 1, arbitrary: fc.constantFrom('{% for k, v in user|dictsort %}{{ k }}={{ v }};{% endfor %}', '{% for a, b in [(1, 2), (3, 4)] %}{{ a * b }} {% endfor %}', '{% for x in nums if x > 0 %}{{ x }}{% if loop.last %}!{% endif %}{% endfor %}', '{% for x in nums %}{% if x > 100 %}{% break %}{% endif %}{% if x < 0 %}{% continue %}{% endif %}{{ x }},{% endfor %}', '{% with a = n, b = s %}{{ a }}{{ b }}{% endwith %}{{ a }}') },
);

const template = fc.array(statement, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('\n'));

// ---- the property -----------------------------------------------------------------------------

test('generated templates render as real Jinja2 renders them (200 cases, one python3 process)', { skip: needTool('jinja2') }, () => {
  const cases: ReferenceCase[] = fc
    .sample(fc.record({ template, variables, autoescape: fc.boolean() }), { numRuns: Number(process.env['TEMPLATE_DIFF_RUNS'] ?? 200), seed: Number(process.env['TEMPLATE_DIFF_SEED'] ?? 4242) })
    .map((c) => ({ template: c.template, variables: JSON.stringify(c.variables), autoescape: c.autoescape }));
  const reference = renderWithJinja2(cases);
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    const ref = reference[i]!;
    let ours: { output: string } | { error: string };
    try {
      ours = { output: renderTemplate(c.template, parseTemplateVariables(c.variables), { autoescape: c.autoescape }) };
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      ours = { error: e.message };
    }
    const same = 'output' in ref ? 'output' in ours && ours.output === ref.output : 'error' in ours;
    if (!same) mismatches.push(`#${i} autoescape=${c.autoescape}\n  template: ${JSON.stringify(c.template)}\n  variables: ${c.variables}\n  jinja2: ${JSON.stringify(ref)}\n  ours:   ${JSON.stringify(ours)}`);
  });
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${cases.length} differ:\n${mismatches.slice(0, 8).join('\n')}`);
});

// ---- whitespace: trim_blocks, lstrip_blocks, keep_trailing_newline, -/+ markers ----------------

const blank = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \n', '\n  ', '\n\n', 'x', ' x ', '\r\n');
const open = fc.constantFrom('{%', '{%-', '{%+');
const close = fc.constantFrom('%}', '-%}', '+%}');
const tag = fc.tuple(open, fc.constantFrom('if flag', 'for x in [1, 2]', 'set v = 1', 'raw'), close, blank, open, close).map(
  ([o, body, c, inner, o2, c2]) => {
    const end = body.startsWith('if') ? 'endif' : body.startsWith('for') ? 'endfor' : body.startsWith('set') ? '' : 'endraw';
    const innerText = body.startsWith('for') ? `${inner}{{ x }}${inner}` : inner;
    return end === '' ? `${o} ${body} ${c}` : `${o} ${body} ${c}${innerText}${o2} ${end} ${c2}`;
  },
);
const piece = fc.oneof(blank, tag, fc.constantFrom('{{ v }}', '{{- v -}}', '{# c #}', '{#- c -#}', '{{ "a" }}\n'));
const whitespaceTemplate = fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join(''));

test('whitespace control renders as real Jinja2 (200 cases with trim_blocks / lstrip_blocks / keep_trailing_newline)', { skip: needTool('jinja2') }, () => {
  const cases: ReferenceCase[] = fc
    .sample(fc.record({ template: whitespaceTemplate, trimBlocks: fc.boolean(), lstripBlocks: fc.boolean(), keepTrailingNewline: fc.boolean() }), {
      numRuns: Number(process.env['TEMPLATE_DIFF_RUNS'] ?? 200),
      seed: Number(process.env['TEMPLATE_DIFF_SEED'] ?? 77),
    })
    .map((c) => ({ ...c, variables: '{"flag": true, "v": "V"}', autoescape: false }));
  const reference = renderWithJinja2(cases);
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    const ref = reference[i]!;
    let ours: { output: string } | { error: string };
    try {
      ours = { output: renderTemplate(c.template, { flag: true, v: 'V' }, { trimBlocks: c.trimBlocks, lstripBlocks: c.lstripBlocks, keepTrailingNewline: c.keepTrailingNewline }) };
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      ours = { error: e.message };
    }
    const same = 'output' in ref ? 'output' in ours && ours.output === ref.output : 'error' in ours;
    if (!same) mismatches.push(`#${i} trim=${c.trimBlocks} lstrip=${c.lstripBlocks} keep=${c.keepTrailingNewline}\n  template: ${JSON.stringify(c.template)}\n  jinja2: ${JSON.stringify(ref)}\n  ours:   ${JSON.stringify(ours)}`);
  });
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${cases.length} differ:\n${mismatches.slice(0, 8).join('\n')}`);
});

test('hand-picked templates render as real Jinja2, with and without autoescape, lenient and strict', { skip: needTool('jinja2') }, () => {
  const cases: ReferenceCase[] = [
    ...HANDPICKED_TEMPLATES.map((template) => ({ template, variables: HANDPICKED_VARIABLES })),
    ...EDGE_TEMPLATES.map((template) => ({ template, variables: EDGE_VARIABLES })),
    ...STRICT_TEMPLATES.map((template) => ({ template, variables: STRICT_VARIABLES, strict: true })),
    ...CORNER_TEMPLATES.map((template) => ({ template, variables: CORNER_VARIABLES })),
    ...SCOPE_TEMPLATES.map((template) => ({ template, variables: SCOPE_VARIABLES })),
    ...FASTPATH_TEMPLATES.map((template) => ({ template, variables: FASTPATH_VARIABLES })),
    ...FASTPATH_STRICT_TEMPLATES.map((template) => ({ template, variables: FASTPATH_VARIABLES, strict: true })),
  ].flatMap((c) => [true, false].map((autoescape) => ({ ...c, autoescape })));
  const reference = renderWithJinja2(cases);
  const mismatches: string[] = [];
  cases.forEach((c, i) => {
    const ref = reference[i]!;
    let ours: { output: string } | { error: string };
    try {
      ours = { output: renderTemplate(c.template, parseTemplateVariables(c.variables), { autoescape: c.autoescape, undefined: c.strict ? 'strict' : 'lenient' }) };
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      ours = { error: e.message };
    }
    const same = 'output' in ref ? 'output' in ours && ours.output === ref.output : 'error' in ours;
    if (!same) mismatches.push(`autoescape=${c.autoescape} strict=${c.strict ?? false} ${JSON.stringify(c.template)}\n  jinja2: ${JSON.stringify(ref)}\n  ours:   ${JSON.stringify(ours)}`);
  });
  assert.equal(mismatches.length, 0, mismatches.join('\n'));
});
