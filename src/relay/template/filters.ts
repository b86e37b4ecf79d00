// Jinja2's built-in filters (the subset listed in SPEC §4 and more), with Jinja2 3.1's argument names and defaults.
import { getAttribute, getItem, namedTupleFields, pyCapitalize, pyReplace, pyStrip } from './access.js';
import { RenderFailure } from './errors.js';
import { escapeHtml, escapeValue, escapedText, unescapeHtml } from './escape.js';
import { percentFormat } from './operators.js';
import { roundHalfEven, roundWithRepr, toFixedPy } from './numbers.js';
import { toJson } from './json.js';
import { removeDelimited, splitLines, urlQuote, wrapLine } from './text.js';
import type { RenderState } from './state.js';
import { FILTERS, TESTS, bindArguments, type TemplateCallable } from './registry.js';
import {
  Markup,
  PyCallable,
  PyFloat,
  Undefined,
  isFloat,
  isMapping,
  isNumber,
  isString,
  iterate,
  length,
  makeFloat,
  makeTuple,
  mappingEntries,
  pyCompare,
  pyEquals,
  strChars,
  toNumber,
  toStr,
  truthy,
  typeName,
} from './values.js';

type FilterFunction = TemplateCallable<unknown>;

/** filters.ts registers into FILTERS; the helper keeps each definition one line. */
function define(names: string | string[], params: readonly string[], fn: (st: RenderState, value: unknown, a: unknown[]) => unknown): void {
  FILTERS.define(names, params, fn);
}

// ---- helpers ------------------------------------------------------------------------------------

/** str(value) keeping Markup-ness (Jinja2's soft_str). */
function softStr(v: unknown): string | Markup {
  return v instanceof Markup ? v : toStr(v);
}
function sameKind(original: unknown, s: string): string | Markup {
  return original instanceof Markup ? new Markup(s) : s;
}
function intArg(v: unknown, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!isNumber(v)) throw new RenderFailure(`${name} must be a number, got ${typeName(v)}`);
  return Math.trunc(toNumber(v));
}
function boolArg(v: unknown, dflt: boolean): boolean {
  return v === undefined ? dflt : truthy(v);
}
function strOrNull(v: unknown): string | null {
  return v === undefined || v === null ? null : toStr(v);
}
function lowerIfString(v: unknown, caseSensitive: boolean): unknown {
  return !caseSensitive && isString(v) ? toStr(v).toLowerCase() : v;
}
function sortValues<T>(items: T[], key: (x: T) => unknown, reverse: boolean): T[] {
  const decorated = items.map((x, i) => ({ x, k: key(x), i }));
  decorated.sort((a, b) => {
    const c = pyCompare(a.k, b.k, '<');
    return (reverse ? -c : c) || a.i - b.i;
  });
  return decorated.map((d) => d.x);
}

/** Jinja2's attribute paths: 'address.city' or 'items.0'. Looked up item first, like `[]`. */
function attributeGetter(st: RenderState, attribute: unknown, dflt?: unknown): (item: unknown) => unknown {
  const parts = typeof attribute === 'string' ? attribute.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [attribute];
  return (item) => {
    let v = item;
    for (const p of parts) {
      v = getItem(st, v, p);
      if (v instanceof Undefined) break;
    }
    if (v instanceof Undefined && dflt !== undefined && dflt !== null) return dflt;
    return v;
  };
}

function sortKeyGetter(st: RenderState, attribute: unknown, caseSensitive: boolean): (item: unknown) => unknown {
  if (attribute === undefined || attribute === null) return (x) => lowerIfString(x, caseSensitive);
  if (typeof attribute === 'string' && attribute.includes(',')) {
    const getters = attribute.split(',').map((a) => attributeGetter(st, a));
    return (x) => makeTuple(getters.map((g) => lowerIfString(g(x), caseSensitive)));
  }
  const g = attributeGetter(st, attribute);
  return (x) => lowerIfString(g(x), caseSensitive);
}

/** Filters that call str methods directly in Jinja2 (no soft_str) fail on other types, Undefined included. */
function requireText(v: unknown, filter: string): string {
  if (v instanceof Undefined) v.fail();
  if (!isString(v)) throw new RenderFailure(`${filter} needs a string, got ${typeName(v)}`);
  return toStr(v);
}

function listOf(v: unknown): unknown[] {
  return iterate(v);
}

// format takes *args or **kwargs, so it binds its own arguments.
FILTERS.set('format', (st, v, args, kwargs) => {
  if (args.length > 0 && kwargs.size > 0) throw new RenderFailure("can't handle positional and keyword arguments at the same time");
  return percentFormat(st, softStr(v), kwargs.size > 0 ? new Map(kwargs) : args, true);
});

// ---- strings ------------------------------------------------------------------------------------

// Captured builtins: see escape.ts (fast even when String.prototype has been made a dictionary-mode prototype).
const toUpperCase = String.prototype.toUpperCase;
const toLowerCase = String.prototype.toLowerCase;
define(['upper'], [], (_st, v) => (typeof v === 'string' ? toUpperCase.call(v) : sameKind(v, toUpperCase.call(toStr(v)))));
define(['lower'], [], (_st, v) => (typeof v === 'string' ? toLowerCase.call(v) : sameKind(v, toLowerCase.call(toStr(v)))));
define(['capitalize'], [], (_st, v) => sameKind(v, pyCapitalize(toStr(v))));
// Jinja2 joins the words with a plain '' so the result is a str even for Markup input.
define(['title'], [], (_st, v) =>
  toStr(v)
    .split(/([-\s({[<]+)/)
    .filter((p) => p !== '')
    .map((p) => p[0]!.toUpperCase() + p.slice(1).toLowerCase())
    .join(''),
);
define(['trim'], ['chars'], (_st, v, [chars]) => sameKind(v, pyStrip(toStr(v), strOrNull(chars), true, true)));
define(['escape', 'e'], [], (_st, v) => escapeValue(v));
define(['forceescape'], [], (_st, v) => new Markup(escapeHtml(toStr(v))));
define(['safe'], [], (_st, v) => (v instanceof Markup ? v : new Markup(toStr(v))));
define(['string'], [], (_st, v) => softStr(v));
define(['striptags'], [], (_st, v) => {
  // Comments first, then tags, as markupsafe does (a comment holding a tag must not end early).
  const s = removeDelimited(removeDelimited(toStr(v), '<!--', '-->'), '<', '>');
  return unescapeHtml(s.split(/\s+/).filter((w) => w !== '').join(' '));
});
define(['replace'], ['old', 'new', 'count'], (st, v, [oldArg, newArg, count]) => {
  const n = count === undefined || count === null ? -1 : intArg(count, 'count', -1);
  if (!st.autoescape) return pyReplace(st, toStr(v), toStr(oldArg), toStr(newArg), n);
  const markupArgs = oldArg instanceof Markup || newArg instanceof Markup;
  if (v instanceof Markup || markupArgs) {
    const base = v instanceof Markup ? v.value : escapeHtml(toStr(v));
    return new Markup(pyReplace(st, base, escapedText(oldArg), escapedText(newArg), n));
  }
  return pyReplace(st, toStr(v), toStr(oldArg), toStr(newArg), n);
});
define(['truncate'], ['length', 'killwords', 'end', 'leeway'], (_st, v, [len, killwords, end, leeway]) => {
  if (v instanceof Undefined && !v.strict) return v;
  const max = intArg(len, 'length', 255);
  const ending = end === undefined ? '...' : toStr(end);
  const slack = intArg(leeway, 'leeway', 5);
  // Jinja2 only measures a non-string; a short list comes back unchanged.
  if (Array.isArray(v) && v.length <= max + slack) return v;
  const s = requireText(v, 'truncate');
  if (max < ending.length) throw new RenderFailure(`expected length >= ${ending.length}, got ${max}`);
  if (slack < 0) throw new RenderFailure(`expected leeway >= 0, got ${slack}`);
  const chars = strChars(s);
  if (chars.length <= max + slack) return v;
  const head = chars.slice(0, max - ending.length).join('');
  const cut = head.lastIndexOf(' ');
  const kept = boolArg(killwords, false) || cut < 0 ? head : head.slice(0, cut);
  // Markup + str escapes the str, as markupsafe does.
  return v instanceof Markup ? new Markup(kept + escapeHtml(ending)) : kept + ending;
});
define(['wordcount'], [], (_st, v) => (toStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length);
define(['center'], ['width'], (st, v, [w]) => {
  const s = toStr(v);
  const width = intArg(w, 'width', 80);
  st.checkSize(width, 'center() result');
  const n = strChars(s).length;
  if (width <= n) return softStr(v);
  const marg = width - n;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return sameKind(v, ' '.repeat(left) + s + ' '.repeat(marg - left));
});
define(['indent'], ['width', 'first', 'blank'], (st, v, [w, first, blank]) => {
  const indention = typeof w === 'string' ? w : w instanceof Markup ? w.value : ' '.repeat(intArg(w, 'width', 4));
  const lines = splitLines(requireText(v, 'indent') + '\n');
  let out: string;
  if (boolArg(blank, false)) out = lines.join('\n' + indention);
  else {
    out = lines.shift() ?? '';
    if (lines.length > 0) out += '\n' + lines.map((l) => (l ? indention + l : l)).join('\n');
  }
  if (boolArg(first, false)) out = indention + out;
  st.checkSize(out.length, 'indent() result');
  return sameKind(v, out);
});
define(['wordwrap'], ['width', 'break_long_words', 'wrapstring', 'break_on_hyphens'], (_st, v, [w, breakLong, wrapstring, breakHyphens]) => {
  const width = intArg(w, 'width', 79);
  if (width <= 0) throw new RenderFailure(`invalid width ${width} (must be > 0)`);
  const sep = wrapstring === undefined || wrapstring === null ? '\n' : toStr(wrapstring);
  return splitLines(requireText(v, 'wordwrap'))
    .map((line) => wrapLine(line, width, boolArg(breakLong, true), boolArg(breakHyphens, true)).join(sep))
    .join(sep);
});
define(['urlencode'], [], (_st, v) => {
  if (isString(v) || !(Array.isArray(v) || isMapping(v))) return urlQuote(toStr(v), false);
  const pairs = isMapping(v)
    ? mappingEntries(v as Map<unknown, unknown>)
    : (v as unknown[]).map((p) => {
        const kv = iterate(p);
        if (kv.length !== 2) throw new RenderFailure(`not enough values to unpack (expected 2, got ${kv.length})`);
        return kv as [unknown, unknown];
      });
  return pairs.map(([k, x]) => `${urlQuote(toStr(k), true)}=${urlQuote(toStr(x), true)}`).join('&');
});
define(['tojson'], ['indent'], (_st, v, [indent]) => {
  const json = toJson(v, indent === undefined || indent === null ? null : intArg(indent, 'indent', 0));
  return new Markup(json.replace(/[<>&']/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`));
});
define(['filesizeformat'], ['binary'], (_st, v, [binary]) => {
  const bytes = toNumber(isString(v) ? Number(toStr(v)) : v);
  const bin = boolArg(binary, false);
  const base = bin ? 1024 : 1000;
  const prefixes = bin ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
  let unit = base;
  let prefix = prefixes[0]!;
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    prefix = prefixes[i]!;
    if (bytes < unit) break;
  }
  return `${toFixedPy((base * bytes) / unit, 1)} ${prefix}`;
});

// ---- numbers ------------------------------------------------------------------------------------

define(['abs'], [], (_st, v) => {
  if (!isNumber(v)) throw new RenderFailure(`bad operand type for abs(): '${typeName(v)}'`);
  const n = Math.abs(toNumber(v));
  return isFloat(v) ? makeFloat(n) : n;
});
define(['round'], ['precision', 'method'], (_st, v, [precision, method]) => {
  const digits = intArg(precision, 'precision', 0);
  const how = method === undefined ? 'common' : toStr(method);
  if (how !== 'common' && how !== 'ceil' && how !== 'floor') throw new RenderFailure('method must be common, ceil or floor');
  if (!isNumber(v)) throw new RenderFailure(`type ${typeName(v)} doesn't define __round__ method`);
  const n = toNumber(v);
  if (how === 'common') {
    if (!isFloat(v)) return digits >= 0 ? n : roundHalfEven(n, digits);
    const known = roundWithRepr(n, digits);
    return known !== null ? new PyFloat(known.value, known.repr) : makeFloat(roundHalfEven(n, digits));
  }
  const scale = 10 ** digits;
  return makeFloat((how === 'ceil' ? Math.ceil(n * scale) : Math.floor(n * scale)) / scale);
});
define(['int'], ['default', 'base'], (_st, v, [dflt, base]) => {
  const fallback = dflt === undefined ? 0 : dflt;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNumber(v)) {
    const n = toNumber(v);
    return Number.isFinite(n) ? Math.trunc(n) : fallback;
  }
  if (isString(v)) {
    const s = toStr(v).trim().replace(/(\d)_(?=\d)/g, '$1');
    const radix = intArg(base, 'base', 10);
    const intText = radix === 16 ? /^[-+]?(0[xX])?[0-9a-fA-F]+$/ : radix === 8 ? /^[-+]?(0[oO])?[0-7]+$/ : radix === 2 ? /^[-+]?(0[bB])?[01]+$/ : /^[-+]?\d+$/;
    if (intText.test(s)) return parseInt(s.replace(/^([-+]?)0[xXoObB]/, '$1'), radix);
    const f = parsePythonFloat(s);
    if (f !== null && Number.isFinite(f)) return Math.trunc(f);
    return fallback;
  }
  if (v instanceof Undefined) v.fail();
  return fallback;
});
define(['float'], ['default'], (_st, v, [dflt]) => {
  const fallback = dflt === undefined ? new PyFloat(0) : dflt;
  if (isNumber(v)) return makeFloat(toNumber(v));
  if (isString(v)) {
    const f = parsePythonFloat(toStr(v).trim());
    return f === null ? fallback : makeFloat(f);
  }
  if (v instanceof Undefined) v.fail();
  return fallback;
});
define(['sum'], ['attribute', 'start'], (st, v, [attribute, start]) => {
  let items = listOf(v);
  if (attribute !== undefined && attribute !== null) items = items.map(attributeGetter(st, attribute));
  let total: unknown = start === undefined ? 0 : start;
  for (const x of items) total = addNumbers(total, x);
  return total;
});

function addNumbers(a: unknown, b: unknown): unknown {
  if (!isNumber(a) || !isNumber(b)) {
    if (b instanceof Undefined) b.fail();
    throw new RenderFailure(`unsupported operand type(s) for +: '${typeName(a)}' and '${typeName(b)}'`);
  }
  const r = toNumber(a) + toNumber(b);
  return isFloat(a) || isFloat(b) ? makeFloat(r) : r;
}

function parsePythonFloat(s: string): number | null {
  const t = s.replace(/(\d)_(?=\d)/g, '$1');
  // Written without ambiguous repetition so a long digit string cannot make the regex backtrack.
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (/^[-+]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[-+]?nan$/i.test(t)) return NaN;
  return null;
}

// ---- sequences ----------------------------------------------------------------------------------

define(['length', 'count'], [], (_st, v) => length(v));
define(['list'], [], (_st, v) => listOf(v).slice());
define(['first'], [], (st, v) => {
  const items = listOf(v);
  return items.length > 0 ? items[0] : st.undefined('No first item, sequence was empty.');
});
define(['last'], [], (st, v) => {
  const items = listOf(v);
  if (items.length === 0) return st.undefined('No last item, sequence was empty.');
  // Jinja2 reads the last item through reversed(), i.e. indexing, and indexing a Markup gives Markup.
  return v instanceof Markup ? new Markup(items[items.length - 1] as string) : items[items.length - 1];
});
define(['reverse'], [], (_st, v) => {
  if (isString(v)) return sameKind(v, strChars(toStr(v)).reverse().join(''));
  return listOf(v).slice().reverse();
});
define(['join'], ['d', 'attribute'], (st, v, [d, attribute]) => {
  let items = listOf(v);
  if (attribute !== undefined && attribute !== null) items = items.map(attributeGetter(st, attribute));
  const sep = d === undefined ? '' : d;
  let out: string;
  if (st.autoescape && (sep instanceof Markup || items.some((x) => x instanceof Markup))) {
    out = items.map(escapedText).join(escapedText(sep));
    st.checkSize(out.length, 'join() result');
    return new Markup(out);
  }
  out = items.map((x) => toStr(x)).join(toStr(sep));
  st.checkSize(out.length, 'join() result');
  return out;
});
define(['sort'], ['reverse', 'case_sensitive', 'attribute'], (st, v, [reverse, cs, attribute]) =>
  sortValues(listOf(v).slice(), sortKeyGetter(st, attribute, boolArg(cs, false)), boolArg(reverse, false)),
);
define(['dictsort'], ['case_sensitive', 'by', 'reverse'], (_st, v, [cs, by, reverse]) => {
  if (!isMapping(v)) throw new RenderFailure(`dictsort expects a mapping, got ${typeName(v)}`);
  const pos = by === undefined || toStr(by) === 'key' ? 0 : toStr(by) === 'value' ? 1 : -1;
  if (pos < 0) throw new RenderFailure('You can only sort by either "key" or "value"');
  const pairs = mappingEntries(v as Map<unknown, unknown>).map(([k, x]) => makeTuple([k, x]));
  return sortValues(pairs, (p) => lowerIfString(p[pos], boolArg(cs, false)), boolArg(reverse, false));
});
define(['unique'], ['case_sensitive', 'attribute'], (st, v, [cs, attribute]) => {
  const key = sortKeyGetter(st, attribute, boolArg(cs, false));
  // Strings and numbers are looked up in a Set (linear time); other keys fall back to pairwise equality.
  const seenScalars = new Set<string>();
  const seenOthers: unknown[] = [];
  const out: unknown[] = [];
  for (const x of listOf(v)) {
    const k = key(x);
    const scalar = typeof k === 'string' ? 's' + k : isNumber(k) ? 'n' + toNumber(k) : k === null ? 'none' : null;
    if (scalar !== null) {
      if (seenScalars.has(scalar)) continue;
      seenScalars.add(scalar);
    } else {
      if (seenOthers.some((s) => pyEquals(s, k))) continue;
      seenOthers.push(k);
    }
    out.push(x);
  }
  return out;
});
for (const name of ['min', 'max'] as const) {
  FILTERS.set(name, (st, v, args, kwargs) => {
    const [cs, attribute] = bindArguments(name, ['case_sensitive', 'attribute'], args, kwargs);
    const items = listOf(v);
    if (items.length === 0) return st.undefined(`No aggregated item, sequence was empty.`);
    const key = sortKeyGetter(st, attribute, boolArg(cs, false));
    let best = items[0];
    let bestKey = key(best);
    for (const x of items.slice(1)) {
      const k = key(x);
      const c = pyCompare(k, bestKey, '<');
      if (name === 'min' ? c < 0 : c > 0) {
        best = x;
        bestKey = k;
      }
    }
    return best;
  });
}
define(['items'], [], (_st, v) => {
  if (v instanceof Undefined) {
    if (v.strict) v.fail();
    return [];
  }
  if (!isMapping(v)) throw new RenderFailure(`Can only get item pairs from a mapping, got ${typeName(v)}`);
  return mappingEntries(v as Map<unknown, unknown>).map(([k, x]) => makeTuple([k, x]));
});
define(['batch'], ['linecount', 'fill_with'], (st, v, [linecount, fill]) => {
  const size = intArg(linecount, 'linecount', 1);
  if (size <= 0) throw new RenderFailure('batch size must be positive');
  const out: unknown[][] = [];
  let tmp: unknown[] = [];
  for (const x of listOf(v)) {
    if (tmp.length === size) {
      out.push(tmp);
      tmp = [];
    }
    tmp.push(x);
  }
  if (tmp.length > 0) {
    if (fill !== undefined && fill !== null) {
      st.checkSize(size, 'batch fill');
      while (tmp.length < size) tmp.push(fill);
    }
    out.push(tmp);
  }
  return out;
});
define(['slice'], ['slices', 'fill_with'], (st, v, [slices, fill]) => {
  const seq = listOf(v);
  const n = intArg(slices, 'slices', 1);
  if (n <= 0) throw new RenderFailure('slice count must be positive');
  st.checkSize(n, 'slice() result');
  const perSlice = Math.floor(seq.length / n);
  const withExtra = seq.length % n;
  let offset = 0;
  const out: unknown[][] = [];
  for (let i = 0; i < n; i++) {
    const start = offset + i * perSlice;
    if (i < withExtra) offset++;
    const end = offset + (i + 1) * perSlice;
    const part = seq.slice(start, end);
    if (fill !== undefined && fill !== null && i >= withExtra) part.push(fill);
    out.push(part);
  }
  return out;
});
define(['groupby'], ['attribute', 'default', 'case_sensitive'], (st, v, [attribute, dflt, cs]) => {
  const caseSensitive = boolArg(cs, false);
  const get = attributeGetter(st, attribute, dflt);
  const key = (x: unknown): unknown => lowerIfString(get(x), caseSensitive);
  const sorted = sortValues(listOf(v).slice(), key, false);
  const groups: unknown[][] = [];
  for (const x of sorted) {
    const k = key(x);
    const last = groups[groups.length - 1];
    if (last !== undefined && pyEquals(last[2], k)) (last[1] as unknown[]).push(x);
    else groups.push([caseSensitive ? k : get(x), [x], k]);
  }
  return groups.map((g) => {
    const t = makeTuple([g[0], g[1]]);
    namedTupleFields.set(t, { grouper: 0, list: 1 });
    return t;
  });
});
define(['attr'], ['name'], (st, v, [name]) => {
  const n = toStr(name);
  // attr() only looks at attributes (never items): on data that means the allow-listed methods.
  const r = getAttribute(st, v, n);
  if (isMapping(v) && !(r instanceof PyCallable)) return st.undefined(`'dict object' has no attribute '${n}'`);
  return r;
});
define(['default', 'd'], ['default_value', 'boolean'], (_st, v, [dflt, boolean]) => {
  if (v instanceof Undefined || (boolArg(boolean, false) && !truthy(v))) return dflt === undefined ? '' : dflt;
  return v;
});

// ---- map / select / reject ---------------------------------------------------------------------

FILTERS.set('map', (st, v, args, kwargs) => {
  const items = listOf(v);
  if (args.length === 0 && kwargs.has('attribute')) {
    const get = attributeGetter(st, kwargs.get('attribute'), kwargs.get('default'));
    return items.map(get);
  }
  if (args.length === 0) throw new RenderFailure('map requires a filter name or attribute=');
  const name = toStr(args[0]);
  const f = FILTERS.get(name);
  if (f === undefined) throw new RenderFailure(`No filter named '${name}'.`);
  const rest = args.slice(1);
  return items.map((x) => f(st, x, rest, kwargs));
});

function selectOrReject(select: boolean, byAttribute: boolean): FilterFunction {
  return (st, v, args, kwargs) => {
    const items = listOf(v);
    let get: (x: unknown) => unknown = (x) => x;
    let rest = args;
    if (byAttribute) {
      if (rest.length === 0) throw new RenderFailure('selectattr/rejectattr require an attribute name');
      get = attributeGetter(st, rest[0]);
      rest = rest.slice(1);
    }
    let check: (x: unknown) => boolean;
    if (rest.length === 0) check = (x) => truthy(x);
    else {
      const name = toStr(rest[0]);
      const test = TESTS.get(name);
      if (test === undefined) throw new RenderFailure(`No test named '${name}'.`);
      const testArgs = rest.slice(1);
      check = (x) => test(st, x, testArgs, kwargs);
    }
    return items.filter((x) => check(get(x)) === select);
  };
}
FILTERS.set('select', selectOrReject(true, false));
FILTERS.set('reject', selectOrReject(false, false));
FILTERS.set('selectattr', selectOrReject(true, true));
FILTERS.set('rejectattr', selectOrReject(false, true));
