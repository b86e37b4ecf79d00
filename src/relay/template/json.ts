// json.dumps(value, sort_keys=True) as Jinja2's tojson calls it: Python separators, ASCII-only output.
import { RenderFailure } from './errors.js';
import { Markup, PyFloat, Undefined, floatToString, intToString, isMapping, mappingEntries, toStr, typeName } from './values.js';

export function toJson(value: unknown, indent: number | null): string {
  return dump(value, indent, 0);
}

function dump(v: unknown, indent: number | null, level: number): string {
  if (level > 100) throw new RenderFailure('value is nested too deeply for tojson');
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return intToString(v);
    return Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : floatToString(v);
  }
  if (v instanceof PyFloat) return floatToString(v.value);
  if (typeof v === 'string' || v instanceof Markup) return quote(toStr(v));
  if (v instanceof Undefined) v.fail();
  const open = (items: string[], l: string, r: string): string => {
    if (items.length === 0) return l + r;
    if (indent === null) return l + items.join(', ') + r;
    const pad = '\n' + ' '.repeat(indent * (level + 1));
    return l + pad + items.join(',' + pad) + '\n' + ' '.repeat(indent * level) + r;
  };
  if (Array.isArray(v)) return open(v.map((x) => dump(x, indent, level + 1)), '[', ']');
  if (isMapping(v)) {
    const entries = mappingEntries(v as Map<unknown, unknown>).map(([k, x]) => [jsonKey(k), x] as [string, unknown]);
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return open(entries.map(([k, x]) => `${quote(k)}: ${dump(x, indent, level + 1)}`), '{', '}');
  }
  throw new RenderFailure(`Object of type ${typeName(v)} is not JSON serializable`);
}

function jsonKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k === null) return 'null';
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'number' || k instanceof PyFloat) return toStr(k);
  throw new RenderFailure(`keys must be str, int, float, bool or None, not ${typeName(k)}`);
}

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}
