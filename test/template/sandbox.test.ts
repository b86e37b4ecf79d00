// Template text is untrusted: it reaches only the data's own properties, never host objects, and cannot pollute prototypes.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TemplateError, parseTemplateVariables, renderTemplate } from '../../src/relay/template/index.js';

/** Renders; a TemplateError counts as "refused". Anything else (a host exception) fails the test. */
function attempt(source: string, context: Record<string, unknown> = {}): string | TemplateError {
  try {
    return renderTemplate(source, context);
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
}

function assertNothingLeaks(source: string, context: Record<string, unknown> = {}): void {
  const r = attempt(source, context);
  if (typeof r === 'string') {
    assert.doesNotMatch(r, /function|native code|\[object|process|prototype|class /i, `leaked: ${r}`);
  }
  assert.equal((globalThis as Record<string, unknown>)['pwned'], undefined);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
}

test('a nunjucks-style constructor.constructor chain cannot build a function', () => {
  assertNothingLeaks("{{ ''.constructor.constructor('globalThis.pwned = 1')() }}");
  assertNothingLeaks("{{ x.constructor.constructor('globalThis.pwned = 1')() }}", { x: {} });
  assertNothingLeaks("{{ range.constructor('globalThis.pwned = 1')() }}");
  assertNothingLeaks("{{ cycler.__init__.__globals__ }}");
  const r = attempt("{{ x.constructor.constructor('return 1')() }}", { x: {} });
  assert.ok(r instanceof TemplateError && r.kind === 'render', 'calling an undefined attribute is an error');
});

test('Python __class__ and __mro__ chains reach nothing', () => {
  assertNothingLeaks("{{ ''.__class__.__mro__[1].__subclasses__() }}");
  assertNothingLeaks('{{ x.__class__ }}{{ x.__class__.__base__ }}', { x: [1] });
  assert.equal(attempt("{{ ''.__class__ }}|{{ [].__class__ }}|{{ {}.__class__ }}"), '||');
  assert.equal(attempt('{% for x in [1] %}{{ loop.__class__ }}{% endfor %}{{ namespace.__class__ }}{{ range.__globals__ }}'), '');
});

test('JavaScript prototype members of data are unreachable', () => {
  const ctx = { obj: { a: 1 }, list: [1, 2], text: 'abc', n: 5 };
  assert.equal(
    attempt('{{ obj.__proto__ }}|{{ obj["__proto__"] }}|{{ obj.constructor }}|{{ obj.toString }}|{{ obj.hasOwnProperty }}|{{ obj.valueOf }}', ctx),
    '|||||',
  );
  assert.equal(attempt('{{ list.map }}|{{ list.length }}|{{ list.constructor }}|{{ list["push"] }}', ctx), '|||');
  assert.equal(attempt('{{ text.length }}|{{ text["length"] }}|{{ text.charAt }}|{{ text.constructor }}', ctx), '|||');
  assert.equal(attempt('{{ n.constructor }}|{{ n.toFixed }}', ctx), '|');
});

test('host functions and class instances in the data are opaque', () => {
  const ctx = { fn: () => 'secret', when: new Date(0), map: new Map([['k', 'v']]) as unknown };
  const called = attempt('{{ fn() }}', ctx);
  assert.ok(called instanceof TemplateError && /not callable/.test(called.message));
  assert.equal(attempt('{{ when.getTime }}|{{ when.toISOString }}', ctx), '|');
  const method = attempt('{{ when.getTime() }}', ctx);
  assert.ok(method instanceof TemplateError);
});

test('set and dict literals with __proto__ keys do not pollute prototypes', () => {
  assertNothingLeaks("{% set d = {'__proto__': {'polluted': 1}} %}{{ d.polluted }}{{ d['__proto__'] }}");
  assertNothingLeaks('{% set __proto__ = {"polluted": 1} %}{{ polluted }}');
  assertNothingLeaks("{% set ns = namespace() %}{% set ns.__proto__ = {'polluted': 1} %}{{ ns.polluted }}");
  const r = attempt("{% set obj.__proto__ = {'polluted': 1} %}", { obj: {} });
  assert.ok(r instanceof TemplateError && /non-namespace/.test(r.message));
  assert.equal(attempt("{% set d = {'__proto__': 1} %}{{ d }}"), "{'__proto__': 1}");
});

test('JSON variables with a __proto__ key stay plain data', () => {
  const vars = parseTemplateVariables('{"user": {"__proto__": {"isAdmin": true}, "name": "x"}}');
  assert.equal(attempt('[{{ user.isAdmin }}]', vars), '[]');
  assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined);
});

test('macros and the loop variable expose only their documented attributes', () => {
  assert.equal(attempt('{% macro m() %}{% endmacro %}{{ m.constructor }}|{{ m.call }}|{{ m.apply }}|{{ m.name }}'), '|||m');
  assert.equal(attempt('{% for x in [1] %}{{ loop.constructor }}|{{ loop.items }}|{{ loop.st }}{% endfor %}'), '||');
});

test('no template text ever reaches eval or new Function (source check)', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'relay', 'template');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(dir, f), 'utf8').replace(/\/\/.*$/gm, '');
    assert.doesNotMatch(text, /\beval\s*\(|new\s+Function\b|\bFunction\s*\(/, f);
  }
});
