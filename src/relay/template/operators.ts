// Arithmetic, concatenation and membership with Python semantics (and markupsafe's Markup rules).
import { LimitFailure, RenderFailure } from './errors.js';
import { escapedText } from './escape.js';
import { pyFloatDivmod, pyMod } from './numbers.js';
import { printf } from './format.js';
import type { RenderState } from './state.js';
import {
  Markup,
  Undefined,
  isFloat,
  isMapping,
  isNumber,
  isString,
  isTuple,
  makeFloat,
  makeTuple,
  mappingEntries,
  mappingLookup,
  pyEquals,
  rangeBounds,
  toNumber,
  toStr,
  typeName,
} from './values.js';
import type { BinaryOperator } from './ast.js';

function unsupported(op: string, a: unknown, b: unknown): never {
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  throw new RenderFailure(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** Result of int/float arithmetic: float when either side is, int otherwise. */
function numberResult(n: number, float: boolean): number | import('./values.js').PyFloat {
  // Python ints have no negative zero.
  return float ? makeFloat(n) : n === 0 ? 0 : n;
}

export function binary(st: RenderState, op: BinaryOperator, a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number' && op !== '/' && op !== '**') {
    // Fast path: two ints, or at least one plain float.
    const float = !Number.isInteger(a) || !Number.isInteger(b);
    switch (op) {
      case '+':
        return numberResult(a + b, float);
      case '-':
        return numberResult(a - b, float);
      case '*':
        return numberResult(a * b, float);
      case '//':
        if (b === 0) throw new RenderFailure(float ? 'float floor division by zero' : 'integer division or modulo by zero');
        return float ? makeFloat(pyFloatDivmod(a, b)[0]) : Math.floor(a / b) || 0;
      case '%':
        if (b === 0) throw new RenderFailure(float ? 'float modulo' : 'integer division or modulo by zero');
        return float ? makeFloat(pyFloatDivmod(a, b)[1]) : pyMod(a, b) || 0;
    }
  }
  if (isNumber(a) && isNumber(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    const float = isFloat(a) || isFloat(b);
    switch (op) {
      case '+':
        return numberResult(x + y, float);
      case '-':
        return numberResult(x - y, float);
      case '*':
        return numberResult(x * y, float);
      case '/':
        if (y === 0) throw new RenderFailure('division by zero');
        return makeFloat(x / y);
      case '//':
        if (y === 0) throw new RenderFailure(float ? 'float floor division by zero' : 'integer division or modulo by zero');
        return float ? makeFloat(pyFloatDivmod(x, y)[0]) : Math.floor(x / y) || 0;
      case '%':
        if (y === 0) throw new RenderFailure(float ? 'float modulo' : 'integer division or modulo by zero');
        return float ? makeFloat(pyFloatDivmod(x, y)[1]) : pyMod(x, y) || 0;
      case '**': {
        if (x === 0 && y < 0) throw new RenderFailure('0.0 cannot be raised to a negative power');
        const r = x ** y;
        if (!float && y >= 0) {
          // Integers past 2^53 lose precision (documented); past the float range they are refused.
          if (!Number.isFinite(r)) throw new RenderFailure(`integer ${x} ** ${y} is too large`);
          return r;
        }
        if (!Number.isFinite(r) && Number.isFinite(x) && Number.isFinite(y)) throw new RenderFailure('(34, Numerical result out of range)');
        return makeFloat(r);
      }
    }
  }
  switch (op) {
    case '+':
      return add(st, a, b);
    case '*':
      return multiply(st, a, b);
    case '%':
      if (isString(a)) return percentFormat(st, a, b);
      break;
    default:
      break;
  }
  return unsupported(op === '//' ? '//' : op, a, b);
}

/** `'%s items' % n`: printf formatting; a Markup format string escapes its arguments. */
export function percentFormat(st: RenderState, fmt: string | Markup, args: unknown, argsAreTuple = false): string | Markup {
  const max = Math.max(st.limits.maxOutputBytes, st.limits.maxStringRepeat);
  if (argsAreTuple && typeof fmt === 'string') {
    const out = printf(fmt, args as unknown[], max);
    st.checkSize(out.length, 'formatted string');
    return out;
  }
  const safe = (v: unknown): unknown => (fmt instanceof Markup ? new Markup(escapedText(v)) : v);
  let bound: unknown[] | Map<unknown, unknown> | Record<string, unknown>;
  if (Array.isArray(args) && (argsAreTuple || isTuple(args))) bound = fmt instanceof Markup ? args.map(safe) : args;
  else if (isMapping(args)) bound = fmt instanceof Markup ? new Map(mappingEntries(args as Map<unknown, unknown>).map(([k, v]) => [k, safe(v)])) : (args as Map<unknown, unknown>);
  else bound = [safe(args)];
  const out = printf(toStr(fmt), bound, max);
  st.checkSize(out.length, 'formatted string');
  return fmt instanceof Markup ? new Markup(out) : out;
}

function add(st: RenderState, a: unknown, b: unknown): unknown {
  if (a instanceof Markup && (isString(b))) return concatChecked(st, new Markup(a.value + escapedText(b)));
  if (b instanceof Markup && typeof a === 'string') return concatChecked(st, new Markup(escapedText(a) + b.value));
  if (typeof a === 'string' && typeof b === 'string') {
    st.checkSize(a.length + b.length, 'string');
    return a + b;
  }
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b) && !rangeBounds.has(a) && !rangeBounds.has(b)) {
    st.checkSize(a.length + b.length, 'list');
    const out = a.concat(b);
    return isTuple(a) ? makeTuple(out) : out;
  }
  if (isString(a) || isString(b)) {
    if (a instanceof Undefined) a.fail();
    if (b instanceof Undefined) b.fail();
    throw new RenderFailure(isString(a) ? `can only concatenate str (not "${typeName(b)}") to str` : `unsupported operand type(s) for +: '${typeName(a)}' and '${typeName(b)}'`);
  }
  return unsupported('+', a, b);
}

function concatChecked(st: RenderState, m: Markup): Markup {
  st.checkSize(m.value.length, 'string');
  return m;
}

function multiply(st: RenderState, a: unknown, b: unknown): unknown {
  let seq = a;
  let times = b;
  if (isNumber(a) && !isNumber(b)) {
    seq = b;
    times = a;
  }
  if (Array.isArray(seq) && rangeBounds.has(seq)) return unsupported('*', a, b);
  if ((isString(seq) || Array.isArray(seq)) && isNumber(times) && !isFloat(times)) {
    const n = Math.max(0, toNumber(times));
    const len = isString(seq) ? toStr(seq).length : (seq as unknown[]).length;
    if (len * n > st.limits.maxStringRepeat) throw new LimitFailure('maxStringRepeat', `repetition would build ${len * n} items (limit ${st.limits.maxStringRepeat})`);
    if (typeof seq === 'string') return seq.repeat(n);
    if (seq instanceof Markup) return new Markup(seq.value.repeat(n));
    const list = seq as unknown[];
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) for (const x of list) out.push(x);
    return isTuple(list) ? makeTuple(out) : out;
  }
  if ((isString(seq) || Array.isArray(seq)) && isNumber(times)) throw new RenderFailure(`can't multiply sequence by non-int of type 'float'`);
  return unsupported('*', a, b);
}

export function negate(v: unknown, positive: boolean): unknown {
  if (typeof v === 'number') return positive ? v : Number.isInteger(v) ? -v || 0 : -v;
  if (isNumber(v)) {
    const n = toNumber(v);
    return isFloat(v) ? makeFloat(positive ? n : -n) : positive ? n : -n || 0;
  }
  if (v instanceof Undefined) v.fail();
  throw new RenderFailure(`bad operand type for unary ${positive ? '+' : '-'}: '${typeName(v)}'`);
}

/** `~`: everything printed as a string; under autoescape a Markup operand makes the result Markup. */
export function concat(st: RenderState, parts: unknown[]): string | Markup {
  let anyMarkup = false;
  if (st.autoescape) for (const p of parts) if (p instanceof Markup) anyMarkup = true;
  let out = '';
  if (anyMarkup) for (const p of parts) out += escapedText(p);
  else for (const p of parts) out += toStr(p);
  st.checkSize(out.length, 'string');
  return anyMarkup ? new Markup(out) : out;
}

/** `needle in haystack`. */
export function contains(haystack: unknown, needle: unknown): boolean {
  if (isString(haystack)) {
    if (needle instanceof Undefined) needle.fail();
    if (!isString(needle)) throw new RenderFailure(`'in <string>' requires string as left operand, not ${typeName(needle)}`);
    return toStr(haystack).includes(toStr(needle));
  }
  if (Array.isArray(haystack)) {
    for (const x of haystack) if (pyEquals(x, needle)) return true;
    return false;
  }
  if (isMapping(haystack)) return mappingLookup(haystack as Map<unknown, unknown>, needle) !== undefined;
  if (haystack instanceof Undefined) {
    if (haystack.strict) haystack.fail();
    return false;
  }
  throw new RenderFailure(`argument of type '${typeName(haystack)}' is not iterable`);
}
