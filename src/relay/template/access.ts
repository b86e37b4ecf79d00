// The sandbox boundary: what `.name`, `[key]` and method calls can reach.
// Only own enumerable data of plain objects, arrays and strings, the loop variable, namespaces,
// and an allow-list of Python methods. Host prototypes, constructors and functions are never returned.
import { RenderFailure } from './errors.js';
import { strFormat } from './format.js';
import { LoopContext, Namespace, type RenderState } from './state.js';
import {
  Markup,
  PyCallable,
  Undefined,
  isFloat,
  isMapping,
  isNumber,
  isString,
  isTuple,
  makeTuple,
  mappingEntries,
  mappingKeys,
  mappingLookup,
  pyEquals,
  rangeBounds,
  strChars,
  toNumber,
  toStr,
  typeName,
} from './values.js';
import { escapedText } from './escape.js';

/** Named fields of tuples such as groupby's (grouper, list). */
export const namedTupleFields = new WeakMap<unknown[], Record<string, number>>();

function objectDescription(obj: unknown): string {
  return obj === null || obj === undefined ? 'None' : `${typeName(obj)} object`;
}

/** `obj.name`: Jinja2 tries the attribute (here: safe methods, loop/namespace fields) then the item. */
export function getAttribute(st: RenderState, obj: unknown, name: string): unknown {
  // Fast path for the common case: a field of a plain data object.
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    const proto = Object.getPrototypeOf(obj);
    if ((proto === Object.prototype || proto === null) && !DICT_METHODS.has(name)) {
      if (Object.prototype.hasOwnProperty.call(obj, name)) {
        const v = (obj as Record<string, unknown>)[name];
        if (v !== undefined) return v;
      }
      return st.undefined(`'dict object' has no attribute '${name}'`);
    }
  }
  if (obj instanceof Undefined) obj.fail();
  if (obj instanceof LoopContext) {
    const v = obj.attribute(name);
    return v === undefined ? st.undefined(`'LoopContext object' has no attribute '${name}'`) : v;
  }
  if (obj instanceof Namespace) {
    const v = obj.attrs.get(name);
    return v === undefined ? st.undefined(`'Namespace object' has no attribute '${name}'`) : v;
  }
  if (obj instanceof PyCallable) {
    const v = obj.attributes?.get(name);
    return v === undefined ? st.undefined(`'${objectDescription(obj)}' has no attribute '${name}'`) : v;
  }
  const method = pythonMethod(st, obj, name);
  if (method !== null) return method;
  if (Array.isArray(obj)) {
    const fields = namedTupleFields.get(obj);
    if (fields !== undefined && Object.prototype.hasOwnProperty.call(fields, name)) return obj[fields[name]!];
  }
  if (isMapping(obj)) {
    const v = mappingLookup(obj as Map<unknown, unknown>, name);
    if (v !== undefined) return v;
  }
  return st.undefined(`'${objectDescription(obj)}' has no attribute '${name}'`);
}

/** `obj[key]`: item first, then attribute (Jinja2's order for subscripts). */
export function getItem(st: RenderState, obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) obj.fail();
  if (Array.isArray(obj) || isString(obj)) {
    // Python indexes sequences with ints (and bools) only; 1.0 is a TypeError, which Jinja2 turns into undefined.
    if (isNumber(key) && !isFloat(key)) {
      const seq = Array.isArray(obj) ? obj : strChars(toStr(obj));
      let i = toNumber(key);
      if (i < 0) i += seq.length;
      if (i >= 0 && i < seq.length) return obj instanceof Markup ? new Markup(seq[i] as string) : seq[i];
      return st.undefined(`'${objectDescription(obj)}' has no element ${toNumber(key)}`);
    }
  } else if (isMapping(obj)) {
    const v = mappingLookup(obj as Map<unknown, unknown>, key);
    if (v !== undefined) return v;
  }
  if (typeof key === 'string') return getAttribute(st, obj, key);
  return st.undefined(`'${objectDescription(obj)}' has no element ${toStr(key)}`);
}

/** Python slicing `seq[start:stop:step]` on lists, tuples and strings. */
export function sliceValue(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (obj instanceof Undefined) obj.fail();
  const isStr = isString(obj);
  if (!isStr && !Array.isArray(obj)) throw new RenderFailure(`'${typeName(obj)}' object is not subscriptable`);
  const seq: unknown[] = isStr ? strChars(toStr(obj)) : (obj as unknown[]);
  const n = seq.length;
  const stepN = step === null || step === undefined ? 1 : toIndex(step);
  if (stepN === 0) throw new RenderFailure('slice step cannot be zero');
  const norm = (v: unknown, dflt: number, lo: number, hi: number): number => {
    if (v === null || v === undefined) return dflt;
    let i = toIndex(v);
    if (i < 0) i += n;
    return Math.min(Math.max(i, lo), hi);
  };
  const out: unknown[] = [];
  const a = stepN > 0 ? norm(start, 0, 0, n) : norm(start, n - 1, -1, n - 1);
  const b = stepN > 0 ? norm(stop, n, 0, n) : norm(stop, -1, -1, n - 1);
  if (stepN > 0) for (let i = a; i < b; i += stepN) out.push(seq[i]);
  else for (let i = a; i > b; i += stepN) out.push(seq[i]);
  const bounds = rangeBounds.get(seq);
  if (bounds !== undefined) {
    // Slicing a range gives a range, as in Python: range(5)[1:3] is range(1, 3).
    const [r0, , rStep] = bounds;
    rangeBounds.set(out, [r0 + a * rStep, r0 + b * rStep, rStep * stepN]);
    return out;
  }
  if (isStr) {
    const s = (out as string[]).join('');
    return obj instanceof Markup ? new Markup(s) : s;
  }
  return isTuple(obj) ? makeTuple(out) : out;
}

function toIndex(v: unknown): number {
  if (v instanceof Undefined) return v.fail();
  if (!isNumber(v) || !Number.isInteger(toNumber(v))) throw new RenderFailure('slice indices must be integers or None');
  return toNumber(v);
}

// ---- Python methods (allow-list) ---------------------------------------------------------------

const DICT_METHODS = new Set(['items', 'keys', 'values', 'get']);
const STR_METHODS = new Set(['upper', 'lower', 'strip', 'lstrip', 'rstrip', 'split', 'startswith', 'endswith', 'replace', 'title', 'capitalize', 'format']);
const LIST_METHODS = new Set(['index', 'count']);
/** Every name `.` may resolve to a method; other names on plain objects are plain field reads. */
export const METHOD_NAMES = new Set([...DICT_METHODS, ...STR_METHODS, ...LIST_METHODS]);

function pythonMethod(st: RenderState, obj: unknown, name: string): PyCallable | null {
  if (isMapping(obj) && DICT_METHODS.has(name)) return dictMethod(obj as Map<unknown, unknown> | Record<string, unknown>, name);
  if (isString(obj) && STR_METHODS.has(name)) return strMethod(st, obj, name);
  if (Array.isArray(obj) && LIST_METHODS.has(name)) return listMethod(obj, name);
  return null;
}

function dictMethod(d: Map<unknown, unknown> | Record<string, unknown>, name: string): PyCallable {
  return new PyCallable(name, (args) => {
    switch (name) {
      case 'items':
        return mappingEntries(d).map(([k, v]) => makeTuple([k, v]));
      case 'keys':
        return mappingKeys(d);
      case 'values':
        return mappingEntries(d).map(([, v]) => v);
      default: {
        if (args.length < 1) throw new RenderFailure('get expected at least 1 argument, got 0');
        const v = mappingLookup(d, args[0]);
        return v === undefined ? (args.length > 1 ? args[1] : null) : v;
      }
    }
  }, 'method');
}

function strArg(v: unknown, method: string): string {
  if (!isString(v)) throw new RenderFailure(`${method}() argument must be str, not ${typeName(v)}`);
  return toStr(v);
}

export function pyStrip(s: string, chars: string | null, left: boolean, right: boolean): string {
  if (chars === null) {
    if (left) s = s.trimStart();
    if (right) s = s.trimEnd();
    return s;
  }
  let a = 0;
  let b = s.length;
  if (left) while (a < b && chars.includes(s[a]!)) a++;
  if (right) while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

export function pySplit(s: string, sep: string | null, maxsplit: number): string[] {
  if (sep === null) {
    const parts: string[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      if (maxsplit >= 0 && parts.length === maxsplit) {
        parts.push(s.slice(m.index).trimEnd());
        break;
      }
      parts.push(m[0]);
    }
    return parts;
  }
  if (sep === '') throw new RenderFailure('empty separator');
  const parts = s.split(sep);
  if (maxsplit >= 0 && parts.length > maxsplit + 1) return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
  return parts;
}

const CASED = /\p{L}/u;

/** str.title(): a letter is upper-cased after an uncased character, lower-cased after a cased one. */
export function pyTitle(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    const cased = CASED.test(ch);
    out += cased ? (prevCased ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevCased = cased;
  }
  return out;
}

export function pyCapitalize(s: string): string {
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1).toLowerCase();
}

export function pyReplace(st: RenderState, s: string, old: string, rep: string, count: number): string {
  let out: string;
  if (old === '') {
    // Python inserts the replacement before every character and at the end.
    const chars = strChars(s);
    const limit = count < 0 ? chars.length + 1 : Math.min(count, chars.length + 1);
    st.checkSize(s.length + limit * rep.length, 'replace() result');
    out = '';
    for (let p = 0; p <= chars.length; p++) {
      if (p < limit) out += rep;
      if (p < chars.length) out += chars[p];
    }
    return out;
  }
  if (count < 0) out = s.split(old).join(rep);
  else {
    const parts = s.split(old);
    out = parts.length - 1 <= count ? parts.join(rep) : parts.slice(0, count + 1).join(rep) + old + parts.slice(count + 1).join(old);
  }
  st.checkSize(out.length, 'replace() result');
  return out;
}

function strMethod(st: RenderState, value: string | Markup, name: string): PyCallable {
  const s = toStr(value);
  const keep = (r: string): string | Markup => (value instanceof Markup ? new Markup(r) : r);
  // Markup methods escape their string arguments.
  const argText = (v: unknown, method: string): string => (value instanceof Markup ? escapedText(v) : strArg(v, method));
  return new PyCallable(name, (args, kwargs) => {
    switch (name) {
      case 'upper':
        return keep(s.toUpperCase());
      case 'lower':
        return keep(s.toLowerCase());
      case 'title':
        return keep(pyTitle(s));
      case 'capitalize':
        return keep(pyCapitalize(s));
      case 'strip':
      case 'lstrip':
      case 'rstrip': {
        const chars = args[0] === undefined || args[0] === null ? null : strArg(args[0], name);
        return keep(pyStrip(s, chars, name !== 'rstrip', name !== 'lstrip'));
      }
      case 'split': {
        const sepArg = kwargs.has('sep') ? kwargs.get('sep') : args[0];
        const maxArg = kwargs.has('maxsplit') ? kwargs.get('maxsplit') : args[1];
        const sep = sepArg === undefined || sepArg === null ? null : strArg(sepArg, name);
        return pySplit(s, sep, maxArg === undefined ? -1 : toNumber(maxArg)).map(keep);
      }
      case 'startswith':
      case 'endswith': {
        const arg = args[0];
        const options = Array.isArray(arg) && isTuple(arg) ? arg : [arg];
        return options.some((o) => (name === 'startswith' ? s.startsWith(strArg(o, name)) : s.endsWith(strArg(o, name))));
      }
      case 'replace': {
        if (args.length < 2) throw new RenderFailure('replace expected at least 2 arguments');
        const count = args[2] === undefined ? -1 : toNumber(args[2]);
        return keep(pyReplace(st, s, argText(args[0], name), argText(args[1], name), count));
      }
      default: {
        const escapeArgs = value instanceof Markup;
        const pos = escapeArgs ? args.map((a) => new Markup(escapedText(a))) : args;
        const kw = escapeArgs ? new Map([...kwargs].map(([k, v]) => [k, new Markup(escapedText(v))] as [string, unknown])) : kwargs;
        const out = strFormat(s, pos, kw, Math.max(st.limits.maxOutputBytes, st.limits.maxStringRepeat));
        st.checkSize(out.length, 'format() result');
        return keep(out);
      }
    }
  }, 'method');
}

function listMethod(list: unknown[], name: string): PyCallable {
  return new PyCallable(name, (args) => {
    if (args.length < 1) throw new RenderFailure(`${name}() takes exactly one argument (0 given)`);
    if (name === 'count') return list.filter((x) => pyEquals(x, args[0])).length;
    const i = list.findIndex((x) => pyEquals(x, args[0]));
    if (i < 0) throw new RenderFailure(`${toStr(args[0])} is not in list`);
    return i;
  }, 'method');
}

