// Python's printf-style `%` formatting (the `format` filter, `'%s' % x`) and a subset of str.format().
import { RenderFailure } from './errors.js';
import { toFixedPy } from './numbers.js';
import { floatToString, intToString, isFloat, isMapping, isNumber, mappingLookup, repr, toNumber, toStr, typeName } from './values.js';

// Zeros belong to the flags and a width starts at 1-9, so the pattern cannot backtrack on `%000...`.
const PRINTF = /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|[1-9]\d*)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

interface PrintfSpec {
  key: string | undefined;
  flags: string;
  width: string | undefined;
  precision: string | undefined;
  conv: string;
}

/** Parsed format strings (literal text between specs), cached because templates reuse the same few. */
const parsedFormats = new Map<string, (string | PrintfSpec)[]>();

function parsePrintf(fmt: string): (string | PrintfSpec)[] {
  let parts = parsedFormats.get(fmt);
  if (parts !== undefined) return parts;
  parts = [];
  let last = 0;
  for (const m of fmt.matchAll(PRINTF)) {
    if (m.index > last) parts.push(fmt.slice(last, m.index));
    parts.push({ key: m[1], flags: m[2] ?? '', width: m[3], precision: m[4], conv: m[5]! });
    last = m.index + m[0].length;
  }
  if (last < fmt.length) parts.push(fmt.slice(last));
  if (parsedFormats.size >= 512) parsedFormats.clear();
  parsedFormats.set(fmt, parts);
  return parts;
}

/**
 * The conversion of the one argument of a format string that is exactly one plain spec (`"%.2f"`,
 * `"%s"`), as printf computes it, or null for anything else. Lets `"%.2f"|format(x)` skip parsing and binding.
 */
export function singleSpecFormatter(fmt: string): ((value: unknown) => string) | null {
  const parts = parsePrintf(fmt);
  if (parts.length !== 1) return null;
  const only = parts[0]!;
  if (typeof only === 'string' || only.key !== undefined || only.width !== undefined || only.precision === '*' || only.conv === '%') return null;
  const { conv, flags } = only;
  const precision = only.precision !== undefined ? Number(only.precision) : null;
  if ((conv === 'f' || conv === 'F') && flags === '') {
    const digits = precision ?? 6;
    return (v) => (typeof v === 'number' ? toFixedPy(v, digits) : convert(v, conv, flags, precision));
  }
  return (v) => convert(v, conv, flags, precision);
}

/** `fmt % args`: args is a tuple (list of values) or one mapping for `%(name)s`. */
export function printf(fmt: string, args: unknown[] | Map<unknown, unknown> | Record<string, unknown>, maxLength: number): string {
  const parts = parsePrintf(fmt);
  // Fast path for the common `"%.2f"|format(x)`: one plain spec, one positional argument.
  if (parts.length === 1 && Array.isArray(args) && args.length === 1) {
    const only = parts[0]!;
    if (typeof only !== 'string' && only.key === undefined && only.width === undefined && only.precision !== '*' && only.conv !== '%') {
      return convert(args[0], only.conv, only.flags, only.precision !== undefined ? Number(only.precision) : null);
    }
  }
  let next = 0;
  const positional = Array.isArray(args) ? args : null;
  const take = (): unknown => {
    if (positional === null) return args;
    if (next >= positional.length) throw new RenderFailure('not enough arguments for format string');
    return positional[next++];
  };
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const { key, flags, width: widthText, precision: precText, conv } = part;
    if (conv === '%') {
      out += '%';
      continue;
    }
    let width = widthText === '*' ? toNumber(take()) : widthText !== undefined ? Number(widthText) : 0;
    const precision = precText === '*' ? toNumber(take()) : precText !== undefined ? Number(precText) : null;
    let value: unknown;
    if (key !== undefined) {
      if (positional !== null || !isMapping(args)) throw new RenderFailure('format requires a mapping');
      value = mappingLookup(args as Map<unknown, unknown>, key);
      if (value === undefined) throw new RenderFailure(`format key ${repr(key)} is missing`);
    } else value = take();
    if (width > maxLength) throw new RenderFailure(`format width ${width} is too large`);
    let body = convert(value, conv, flags, precision);
    const left = flags.includes('-');
    if (width < 0) width = -width;
    if (body.length < width) {
      const zero = flags.includes('0') && !left && 'diouxXeEfFgG'.includes(conv);
      if (zero) {
        const sign = /^[-+ ]/.test(body) ? body[0]! : '';
        const prefix = /^[-+ ]?0[xXo]/.test(body) && flags.includes('#') ? body.slice(sign.length, sign.length + 2) : '';
        const digits = body.slice(sign.length + prefix.length);
        body = sign + prefix + '0'.repeat(width - body.length) + digits;
      } else body = left ? body.padEnd(width) : body.padStart(width);
    }
    out += body;
  }
  if (positional !== null && next < positional.length) throw new RenderFailure('not all arguments converted during string formatting');
  return out;
}

function convert(value: unknown, conv: string, flags: string, precision: number | null): string {
  switch (conv) {
    case 's':
      return precision === null ? toStr(value) : toStr(value).slice(0, precision);
    case 'r':
    case 'a':
      return precision === null ? repr(value) : repr(value).slice(0, precision);
    case 'c':
      if (typeof value === 'string' && value.length >= 1) return value;
      return String.fromCodePoint(toNumber(requireNumber(value, conv)));
    case 'd':
    case 'i':
    case 'u':
      return sign(Math.trunc(toNumber(requireNumber(value, conv))), flags, (n) => intToString(n));
    case 'o':
    case 'x':
    case 'X': {
      const n = Math.trunc(toNumber(requireInt(value, conv)));
      const radix = conv === 'o' ? 8 : 16;
      return sign(n, flags, (m) => {
        let s = m.toString(radix);
        if (conv === 'X') s = s.toUpperCase();
        if (flags.includes('#')) s = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + s;
        return s;
      });
    }
    case 'f':
    case 'F':
      // toFixedPy already prints the sign of negative numbers.
      if (flags === '' && typeof value === 'number') return toFixedPy(value, precision ?? 6);
      return sign(toNumber(requireNumber(value, conv)), flags, (n) => toFixedPy(n, precision ?? 6));
    case 'e':
    case 'E': {
      const s = sign(toNumber(requireNumber(value, conv)), flags, (n) => expFormat(n, precision ?? 6));
      return conv === 'E' ? s.toUpperCase() : s;
    }
    case 'g':
    case 'G': {
      const s = sign(toNumber(requireNumber(value, conv)), flags, (n) => generalFormat(n, precision ?? 6, flags.includes('#')));
      return conv === 'G' ? s.toUpperCase() : s;
    }
    default:
      throw new RenderFailure(`unsupported format character '${conv}'`);
  }
}

function requireNumber(v: unknown, conv: string): unknown {
  if (!isNumber(v)) throw new RenderFailure(`%${conv} format: a real number is required, not ${typeName(v)}`);
  return v;
}
function requireInt(v: unknown, conv: string): unknown {
  if (!isNumber(v) || isFloat(v)) throw new RenderFailure(`%${conv} format: an integer is required, not ${typeName(v)}`);
  return v;
}

function sign(n: number, flags: string, body: (abs: number) => string): string {
  const negative = n < 0 || Object.is(n, -0);
  const text = body(Math.abs(n));
  if (negative) return '-' + text;
  if (flags.includes('+')) return '+' + text;
  if (flags.includes(' ')) return ' ' + text;
  return text;
}

export function expFormat(n: number, precision: number): string {
  if (!Number.isFinite(n)) return floatToString(n);
  const s = n.toExponential(Math.min(precision, 100));
  const [m, e] = s.split('e') as [string, string];
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function generalFormat(n: number, precision: number, alternate: boolean): string {
  if (!Number.isFinite(n)) return floatToString(n);
  const p = precision === 0 ? 1 : precision;
  if (n === 0) return alternate ? '0.' + '0'.repeat(p - 1) : '0';
  const exp = Number(n.toExponential(p - 1).split('e')[1]);
  let s: string;
  if (exp < -4 || exp >= p) {
    s = expFormat(n, p - 1);
    if (!alternate) s = s.replace(/\.?0+e/, 'e');
  } else {
    s = toFixedPy(n, p - 1 - exp);
    if (!alternate && s.includes('.')) s = s.replace(/\.?0+$/, '');
  }
  return s;
}

// ---- str.format ---------------------------------------------------------------------------------

/** `'{} {name:>5}'.format(...)`: positional, numbered and named fields with a format spec. */
export function strFormat(fmt: string, args: unknown[], kwargs: Map<string, unknown>, maxLength: number): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (all, field: string | undefined) => {
    if (all === '{{') return '{';
    if (all === '}}') return '}';
    const f = field ?? '';
    const colon = f.indexOf(':');
    let ref = colon >= 0 ? f.slice(0, colon) : f;
    const spec = colon >= 0 ? f.slice(colon + 1) : '';
    let conversion = '';
    const bang = ref.indexOf('!');
    if (bang >= 0) {
      conversion = ref.slice(bang + 1);
      ref = ref.slice(0, bang);
    }
    let value: unknown;
    if (ref === '') {
      if (auto >= args.length) throw new RenderFailure(`replacement index ${auto} out of range for positional args tuple`);
      value = args[auto++];
    } else if (/^\d+$/.test(ref)) {
      const i = Number(ref);
      if (i >= args.length) throw new RenderFailure(`replacement index ${i} out of range for positional args tuple`);
      value = args[i];
    } else {
      if (!kwargs.has(ref)) throw new RenderFailure(`format key '${ref}' is missing`);
      value = kwargs.get(ref);
    }
    if (conversion === 'r') value = repr(value);
    else if (conversion === 's') value = toStr(value);
    return formatSpec(value, spec, maxLength);
  });
}

const SPEC = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

export function formatSpec(value: unknown, spec: string, maxLength: number): string {
  if (spec === '') return toStr(value);
  const m = SPEC.exec(spec);
  if (!m) throw new RenderFailure(`invalid format specifier '${spec}'`);
  const [, fillChar, alignChar, signChar, , zero, widthText, grouping, precText, type] = m;
  const width = widthText ? Number(widthText) : 0;
  if (width > maxLength) throw new RenderFailure(`format width ${width} is too large`);
  const precision = precText !== undefined ? Number(precText) : null;
  let body: string;
  const numeric = isNumber(value) && typeof value !== 'boolean' ? true : isNumber(value);
  if (!numeric || type === 's') {
    if (type !== undefined && type !== 's') throw new RenderFailure(`unknown format code '${type}' for object of type '${typeName(value)}'`);
    body = toStr(value);
    if (precision !== null) body = body.slice(0, precision);
    return pad(body, width, fillChar ?? ' ', alignChar ?? '<');
  }
  const n = toNumber(value);
  const flags = signChar ?? '';
  switch (type) {
    case undefined:
      body = isFloat(value) ? (precision !== null ? generalFormat(Math.abs(n), precision, false) : floatToString(Math.abs(n))) : intToString(Math.abs(n));
      break;
    case 'd':
    case 'n':
      if (isFloat(value)) throw new RenderFailure(`unknown format code 'd' for object of type 'float'`);
      body = intToString(Math.abs(n));
      break;
    case 'f':
    case 'F':
      body = toFixedPy(Math.abs(n), precision ?? 6);
      break;
    case 'e':
    case 'E':
      body = expFormat(Math.abs(n), precision ?? 6);
      if (type === 'E') body = body.toUpperCase();
      break;
    case 'g':
    case 'G':
      body = generalFormat(Math.abs(n), precision ?? 6, false);
      if (type === 'G') body = body.toUpperCase();
      break;
    case '%':
      body = toFixedPy(Math.abs(n) * 100, precision ?? 6) + '%';
      break;
    case 'x':
    case 'X':
    case 'o':
    case 'b':
      body = Math.abs(Math.trunc(n)).toString(type === 'o' ? 8 : type === 'b' ? 2 : 16);
      if (type === 'X') body = body.toUpperCase();
      break;
    case 'c':
      body = String.fromCodePoint(n);
      break;
    default:
      throw new RenderFailure(`unknown format code '${type}'`);
  }
  if (grouping) {
    const [intPart, frac] = body.split('.') as [string, string | undefined];
    body = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (frac !== undefined ? '.' + frac : '');
  }
  const sign = n < 0 || Object.is(n, -0) ? '-' : flags === '+' ? '+' : flags === ' ' ? ' ' : '';
  if (zero && !alignChar) return sign + body.padStart(width - sign.length, '0');
  if (alignChar === '=') return sign + pad(body, width - sign.length, fillChar ?? ' ', '>');
  return pad(sign + body, width, fillChar ?? ' ', alignChar ?? '>');
}

function pad(s: string, width: number, fill: string, align: string): string {
  const missing = width - s.length;
  if (missing <= 0) return s;
  if (align === '<') return s + fill.repeat(missing);
  if (align === '^') return fill.repeat(Math.floor(missing / 2)) + s + fill.repeat(missing - Math.floor(missing / 2));
  return fill.repeat(missing) + s;
}

