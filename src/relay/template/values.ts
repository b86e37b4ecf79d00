// Python's value model on top of JavaScript values: how Jinja2 prints, compares, tests truth and iterates.
//
// int: a JS number with an integral value.   float: a JS number with a fraction, or a PyFloat (an integral float
// such as 1.0, kept apart so it prints as Python does).   str: string.   Markup: safe HTML string.
// list: array.   tuple: array registered in `tuples`.   dict: Map (built by templates) or a plain object (data).
// None: null.   Undefined: a missing value (lenient or strict).
import { RenderFailure } from './errors.js';

/** A float whose value is integral (1.0, 2.0, 1e20): a plain number would print as an int. */
export class PyFloat {
  constructor(
    readonly value: number,
    /** Python's repr when already known (round() computes it), saving a float-to-string conversion. */
    readonly repr: string | null = null,
  ) {}
}

/** A string that is already safe HTML (markupsafe.Markup): autoescape leaves it alone. */
export class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Jinja2's Undefined (lenient) or StrictUndefined (strict): `hint` explains what was missing. */
export class Undefined {
  constructor(
    readonly hint: string,
    readonly strict: boolean,
  ) {}
  fail(): never {
    throw new RenderFailure(this.hint);
  }
}

/** A callable the sandbox hands out: globals (range, dict), macros, loop.cycle, and safe Python methods. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[], kwargs: Map<string, unknown>) => unknown,
    readonly kind: 'function' | 'method' | 'macro' = 'function',
    /** Readable attributes, e.g. a macro's name and arguments. */
    readonly attributes: ReadonlyMap<string, unknown> | null = null,
  ) {}
}

/** Lists made by range(): they print and multiply like Python's range objects. */
export const rangeBounds = new WeakMap<unknown[], [number, number, number]>();

const tupleMarks = new WeakSet<unknown[]>();

export function makeTuple(items: unknown[]): unknown[] {
  tupleMarks.add(items);
  return items;
}

export function isTuple(v: unknown): v is unknown[] {
  return Array.isArray(v) && tupleMarks.has(v);
}

export function makeFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** int, float or bool (bool is an int subclass in Python). */
export function isNumber(v: unknown): boolean {
  return typeof v === 'number' || v instanceof PyFloat || typeof v === 'boolean';
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new RenderFailure(`expected a number, got ${typeName(v)}`);
}

export function isString(v: unknown): v is string | Markup {
  return typeof v === 'string' || v instanceof Markup;
}

/** Only plain data objects count as dicts; class instances and functions of the host are opaque. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isMapping(v: unknown): boolean {
  return v instanceof Map || isPlainObject(v);
}

export function mappingKeys(v: Map<unknown, unknown> | Record<string, unknown>): unknown[] {
  return v instanceof Map ? [...v.keys()] : Object.keys(v);
}

export function mappingEntries(v: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  return v instanceof Map ? [...v.entries()] : Object.entries(v);
}

/** Own property of a plain object only: never the prototype chain. */
export function ownValue(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'string') return 'str';
  if (v instanceof Markup) return 'Markup';
  if (v instanceof Undefined) return 'Undefined';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : rangeBounds.has(v) ? 'range' : 'list';
  if (isMapping(v)) return 'dict';
  if (v instanceof PyCallable) return v.kind === 'macro' ? 'Macro' : 'function';
  return 'object';
}

export function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (v === null || v === undefined) return false;
  if (v instanceof Undefined) {
    if (v.strict) v.fail();
    return false;
  }
  if (v instanceof PyFloat) return v.value !== 0;
  if (v instanceof Markup) return v.value.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (isPlainObject(v)) {
    for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return true;
    return false;
  }
  return true;
}

// ---- printing ---------------------------------------------------------------------------------

export function intToString(n: number): string {
  // Past 2^53 String() rounds to the shortest digits and uses an exponent from 1e21; Python prints the exact value.
  return Math.abs(n) <= Number.MAX_SAFE_INTEGER ? String(n) : BigInt(n).toString();
}

/** Python's repr() of a float: shortest round-trip digits, exponent outside 1e-4 <= |x| < 1e16. */
export function floatToString(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-4 && abs < 1e16) {
    // Both languages print the shortest round-trip digits in fixed notation in this range.
    const s = String(n);
    return s.includes('.') ? s : s + '.0';
  }
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) out = '0.' + '0'.repeat(-exp - 1) + digits;
    else if (digits.length <= exp + 1) out = digits + '0'.repeat(exp + 1 - digits.length) + '.0';
    else out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  } else {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return negative ? '-' + out : out;
}

/** Python's str(): what `{{ value }}` prints (before escaping). */
export function toStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? intToString(v) : floatToString(v);
  if (v instanceof Markup) return v.value;
  if (v instanceof Undefined) {
    if (v.strict) v.fail();
    return '';
  }
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  if (v instanceof PyFloat) return v.repr ?? floatToString(v.value);
  return repr(v);
}

/** Python's repr(), used inside lists and dicts. */
export function repr(v: unknown, depth = 0): string {
  if (depth > 100) throw new RenderFailure('value is nested too deeply to print');
  if (typeof v === 'string') return strRepr(v);
  if (v instanceof Markup) return `Markup(${strRepr(v.value)})`;
  if (Array.isArray(v) && rangeBounds.has(v)) {
    const [a, b, c] = rangeBounds.get(v)!;
    return c === 1 ? `range(${a}, ${b})` : `range(${a}, ${b}, ${c})`;
  }
  if (Array.isArray(v)) {
    const inner = v.map((x) => repr(x, depth + 1)).join(', ');
    if (isTuple(v)) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (v instanceof Map || isPlainObject(v)) {
    const parts = mappingEntries(v).map(([k, x]) => `${repr(k, depth + 1)}: ${repr(x, depth + 1)}`);
    return `{${parts.join(', ')}}`;
  }
  // repr() of an undefined value never fails, even StrictUndefined's.
  if (v instanceof Undefined) return 'Undefined';
  if (v instanceof PyCallable) return v.kind === 'macro' ? `<Macro '${v.name}'>` : `<built-in function ${v.name}>`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat) return toStr(v);
  return '<object>';
}

export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0xad) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

// ---- strings by code point (Python indexes characters, not UTF-16 units) ----------------------

const SURROGATE = /[\uD800-\uDFFF]/;

export function strLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function strChars(s: string): string[] {
  return SURROGATE.test(s) ? Array.from(s) : s.split('');
}

// ---- equality and ordering ---------------------------------------------------------------------

export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) {
    if (a instanceof Undefined && a.strict) a.fail();
    return typeof a !== 'number' || !Number.isNaN(a);
  }
  if (a instanceof Undefined || b instanceof Undefined) {
    if (a instanceof Undefined && a.strict) a.fail();
    if (b instanceof Undefined && b.strict) b.fail();
    return a instanceof Undefined && b instanceof Undefined;
  }
  if (isNumber(a) && isNumber(b)) return toNumber(a) === toNumber(b);
  if (isString(a) && isString(b)) return String(a) === String(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pyEquals(a[i], b[i])) return false;
    return true;
  }
  if (isMapping(a) && isMapping(b)) {
    const ea = mappingEntries(a as Record<string, unknown>);
    const bm = b as Map<unknown, unknown> | Record<string, unknown>;
    if (ea.length !== mappingKeys(bm).length) return false;
    for (const [k, x] of ea) {
      const y = mappingLookup(bm, k);
      if (y === undefined || !pyEquals(x, y)) return false;
    }
    return true;
  }
  return false;
}

/** dict[key] by Python equality; undefined when absent. */
export function mappingLookup(m: Map<unknown, unknown> | Record<string, unknown>, key: unknown): unknown {
  if (m instanceof Map) {
    const direct = m.get(key instanceof Markup ? key.value : key);
    if (direct !== undefined || typeof key === 'string') return direct;
    if (isNumber(key)) {
      for (const [k, v] of m) if (isNumber(k) && toNumber(k) === toNumber(key)) return v;
    }
    return undefined;
  }
  if (typeof key === 'string') return ownValue(m, key);
  if (key instanceof Markup) return ownValue(m, key.value);
  return undefined;
}

export function pyCompare(a: unknown, b: unknown, op: string): number {
  if (isNumber(a) && isNumber(b)) {
    const x = toNumber(a);
    const y = toNumber(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
  }
  if (isString(a) && isString(b)) {
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i], op);
    return a.length - b.length;
  }
  if (a instanceof Undefined) a.fail();
  if (b instanceof Undefined) b.fail();
  throw new RenderFailure(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

// ---- iteration ---------------------------------------------------------------------------------

/** The items `for` walks: list and tuple items, string characters, dict keys. */
export function iterate(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return strChars(v);
  // Iterating a Markup yields plain one-character strings, as iterating a str subclass does in Python.
  if (v instanceof Markup) return strChars(v.value);
  if (v instanceof Map) return [...v.keys()];
  if (isPlainObject(v)) return Object.keys(v);
  if (v instanceof Undefined) {
    if (v.strict) v.fail();
    return [];
  }
  throw new RenderFailure(`'${typeName(v)}' object is not iterable`);
}

export function isIterable(v: unknown): boolean {
  return Array.isArray(v) || isString(v) || isMapping(v) || (v instanceof Undefined && !v.strict);
}

export function length(v: unknown): number {
  if (typeof v === 'string') return strLength(v);
  if (v instanceof Markup) return strLength(v.value);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (isPlainObject(v)) return Object.keys(v).length;
  if (v instanceof Undefined) {
    if (v.strict) v.fail();
    return 0;
  }
  throw new RenderFailure(`object of type '${typeName(v)}' has no len()`);
}
