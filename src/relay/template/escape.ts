// HTML escaping with markupsafe's rules, and the Markup-aware joins Jinja2 uses under autoescape.
import { Markup, toStr } from './values.js';


// String methods are called through captured builtins: loading another library that makes String.prototype
// a dictionary-mode prototype (nunjucks' SafeString does `Object.create(String.prototype)`) turns every
// `s.charCodeAt(i)` into a slow prototype lookup, while `charCodeAt.call(s, i)` stays inlined.
const charCodeAt = String.prototype.charCodeAt;
const slice = String.prototype.slice;

export function escapeHtml(s: string): string {
  // A plain scan is cheaper than a regex for the short strings templates print.
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c === 38 || c === 60 || c === 62 || c === 34 || c === 39) break;
  }
  if (i === n) return s;
  let out = slice.call(s, 0, i);
  let last = i;
  for (; i < n; i++) {
    const c = charCodeAt.call(s, i);
    let rep: string;
    if (c === 38) rep = '&amp;';
    else if (c === 60) rep = '&lt;';
    else if (c === 62) rep = '&gt;';
    else if (c === 34) rep = '&#34;';
    else if (c === 39) rep = '&#39;';
    else continue;
    if (last < i) out += slice.call(s, last, i);
    out += rep;
    last = i + 1;
  }
  return last < n ? out + slice.call(s, last) : out;
}

/** markupsafe.escape(): Markup passes through, anything else is printed then escaped. */
export function escapeValue(v: unknown): Markup {
  return v instanceof Markup ? v : new Markup(escapeHtml(toStr(v)));
}

/** Text of a value for inclusion in Markup: escaped unless already safe. */
export function escapedText(v: unknown): string {
  return v instanceof Markup ? v.value : escapeHtml(toStr(v));
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae', trade: '\u2122',
  hellip: '\u2026', mdash: '\u2014', ndash: '\u2013', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d',
  euro: '\u20ac', pound: '\u00a3', yen: '\u00a5', cent: '\u00a2', sect: '\u00a7', deg: '\u00b0', middot: '\u00b7',
  AMP: '&', LT: '<', GT: '>', QUOT: '"', COPY: '\u00a9', REG: '\u00ae',
  laquo: '\u00ab', raquo: '\u00bb', times: '\u00d7', divide: '\u00f7', bull: '\u2022',
};

/** html.unescape for the entities mail templates use: numeric references and the common named ones. */
export function unescapeHtml(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);?/g, (all, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[body];
    return named !== undefined && Object.prototype.hasOwnProperty.call(NAMED_ENTITIES, body) ? named : all;
  });
}
