// Jinja2's built-in tests (`x is defined`, `n is divisibleby 3`, ...).
import { RenderFailure } from './errors.js';
import { FILTERS, TESTS } from './registry.js';
import { contains } from './operators.js';
import type { RenderState } from './state.js';
import { Markup, PyCallable, PyFloat, Undefined, isFloat, isInt, isMapping, isNumber, isString, pyCompare, pyEquals, toNumber, toStr, typeName } from './values.js';

function define(names: string[], params: readonly string[], fn: (st: RenderState, value: unknown, a: unknown[]) => boolean): void {
  TESTS.define(names, params, fn);
}

function integral(v: unknown, test: string): number {
  if (v instanceof Undefined) v.fail();
  if (!isNumber(v)) throw new RenderFailure(`test '${test}' needs a number, got ${typeName(v)}`);
  return toNumber(v);
}

const CASED = /\p{Lu}|\p{Ll}|\p{Lt}/u;

define(['defined'], [], (_st, v) => !(v instanceof Undefined));
define(['undefined'], [], (_st, v) => v instanceof Undefined);
define(['none'], [], (_st, v) => v === null);
define(['boolean'], [], (_st, v) => typeof v === 'boolean');
define(['true'], [], (_st, v) => v === true);
define(['false'], [], (_st, v) => v === false);
define(['number'], [], (_st, v) => isNumber(v));
define(['integer'], [], (_st, v) => isInt(v));
define(['float'], [], (_st, v) => isFloat(v));
define(['string'], [], (_st, v) => isString(v));
define(['mapping'], [], (_st, v) => isMapping(v));
define(['sequence'], [], (_st, v) => Array.isArray(v) || isString(v) || isMapping(v) || (v instanceof Undefined && !v.strict));
define(['iterable'], [], (_st, v) => Array.isArray(v) || isString(v) || isMapping(v) || (v instanceof Undefined && !v.strict));
define(['callable'], [], (_st, v) => v instanceof PyCallable);
define(['escaped'], [], (_st, v) => v instanceof Markup);
define(['odd'], [], (_st, v) => Math.abs(integral(v, 'odd') % 2) === 1);
define(['even'], [], (_st, v) => integral(v, 'even') % 2 === 0);
define(['divisibleby'], ['num'], (_st, v, [n]) => {
  const d = integral(n, 'divisibleby');
  if (d === 0) throw new RenderFailure('integer division or modulo by zero');
  return integral(v, 'divisibleby') % d === 0;
});
define(['lower'], [], (_st, v) => {
  const s = toStr(v);
  return CASED.test(s) && s === s.toLowerCase();
});
define(['upper'], [], (_st, v) => {
  const s = toStr(v);
  return CASED.test(s) && s === s.toUpperCase();
});
define(['eq', 'equalto', '=='], ['other'], (_st, v, [o]) => pyEquals(v, o));
define(['ne', '!='], ['other'], (_st, v, [o]) => !pyEquals(v, o));
define(['lt', 'lessthan', '<'], ['other'], (_st, v, [o]) => pyCompare(v, o, '<') < 0);
define(['le', '<='], ['other'], (_st, v, [o]) => pyCompare(v, o, '<=') <= 0);
define(['gt', 'greaterthan', '>'], ['other'], (_st, v, [o]) => pyCompare(v, o, '>') > 0);
define(['ge', '>='], ['other'], (_st, v, [o]) => pyCompare(v, o, '>=') >= 0);
define(['in'], ['seq'], (_st, v, [seq]) => contains(seq, v));
define(['sameas'], ['other'], (_st, v, [o]) => {
  // Python identity: equal immutable scalars of the same type, the very same list or dict otherwise.
  if (v instanceof PyFloat && o instanceof PyFloat) return v.value === o.value;
  if (typeof v === 'object' && v !== null) return v === o;
  return v === o;
});
define(['filter'], [], (_st, v) => typeof v === 'string' && FILTERS.has(v));
define(['test'], [], (_st, v) => typeof v === 'string' && TESTS.has(v));
