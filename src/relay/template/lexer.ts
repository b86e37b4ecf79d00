// Splits template text into data and tag tokens with Jinja2's whitespace rules
// ({%- -%}, +, trim_blocks, lstrip_blocks) and line/column on every token.
import { TemplateError } from './errors.js';

// Captured String builtins: a library that makes String.prototype a dictionary-mode prototype (nunjucks does, on
// load) turns every `src.charCodeAt(i)` into a slow prototype lookup; `charCodeAt.call(src, i)` stays fast.
const charCodeAt = String.prototype.charCodeAt;
const indexOf = String.prototype.indexOf;
const slice = String.prototype.slice;
const startsWith = String.prototype.startsWith;

export type TokenType =
  | 'data'
  | 'variable_begin'
  | 'variable_end'
  | 'block_begin'
  | 'block_end'
  | 'name'
  | 'string'
  | 'integer'
  | 'float'
  | 'operator'
  | 'eof';

export interface Token {
  type: TokenType;
  /** Text of data, names and operators; decoded value of strings; digits (underscores removed) of numbers. */
  value: string;
  line: number;
  column: number;
}

export interface LexerSettings {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  keepTrailingNewline: boolean;
  name: string;
}

const SINGLE_OPERATORS = new Set(['+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '>', '<', '=', '.', ':', '|', ',', ';']);
const DOUBLE_OPERATORS = new Set(['//', '**', '==', '!=', '>=', '<=']);

/** The operator at `i`, longest first so `//` wins over `/` and `**` over `*`; null if none. */
function operatorAt(src: string, i: number): string | null {
  const two = slice.call(src, i, i + 2);
  if (DOUBLE_OPERATORS.has(two)) return two;
  const one = src[i]!;
  return SINGLE_OPERATORS.has(one) ? one : null;
}
const OPEN_TO_CLOSE: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const STRING_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

/** Jinja2 normalises every newline to `\n` and drops one trailing newline before lexing. */
export function normalizeSource(source: string, keepTrailingNewline: boolean): string {
  let text = source.indexOf('\r') >= 0 ? source.replace(/\r\n?/g, '\n') : source;
  if (!keepTrailingNewline && text.endsWith('\n')) text = text.slice(0, -1);
  return text;
}

export function tokenize(source: string, settings: LexerSettings): Token[] {
  return new Lexer(normalizeSource(source, settings.keepTrailingNewline), settings).run();
}

class Lexer {
  private readonly tokens: Token[] = [];
  private pos = 0;
  /** Line starts, for turning offsets into line and column. */
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly src: string,
    private readonly settings: LexerSettings,
  ) {
    for (let i = indexOf.call(src, '\n'); i >= 0; i = indexOf.call(src, '\n', i + 1)) this.lineStarts.push(i + 1);
  }

  /** Line of the last lookup: tokens arrive in order, so the next lookup usually starts there. */
  private lineCursor = 0;

  private where(offset: number): { line: number; column: number } {
    const starts = this.lineStarts;
    let c = this.lineCursor;
    if (starts[c]! <= offset) {
      while (c + 1 < starts.length && starts[c + 1]! <= offset) c++;
      this.lineCursor = c;
      return { line: c + 1, column: offset - starts[c]! + 1 };
    }
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  private fail(reason: string, offset: number): never {
    const { line, column } = this.where(offset);
    throw new TemplateError('syntax', reason, line, column, this.settings.name);
  }

  private push(type: TokenType, value: string, offset: number): void {
    const { line, column } = this.where(offset);
    this.tokens.push({ type, value, line, column });
  }

  run(): Token[] {
    const src = this.src;
    while (this.pos <= src.length) {
      const tagStart = findTagStart(src, this.pos);
      const dataEnd = tagStart < 0 ? src.length : tagStart;
      let data = slice.call(src, this.pos, dataEnd);
      if (tagStart < 0) {
        if (data) this.push('data', data, this.pos);
        break;
      }
      const kind = src[tagStart + 1]!; // '{', '%' or '#'
      const modifier = src[tagStart + 2];
      const dataStart = this.pos;
      // trimEnd, not /\s+$/: that regex is quadratic on long runs of spaces.
      if (modifier === '-') data = data.trimEnd();
      else if (modifier !== '+' && kind !== '{' && this.settings.lstripBlocks) data = lstrip(data, dataStart === 0 || src[dataStart - 1] === '\n');
      if (data) this.push('data', data, dataStart);
      let after = tagStart + 2 + (modifier === '-' || modifier === '+' ? 1 : 0);
      if (kind === '#') {
        const end = src.indexOf('#}', after);
        if (end < 0) this.fail('comment is not closed (missing #})', tagStart);
        const strip = src[end - 1] === '-' && end - 1 >= after;
        this.pos = end + 2;
        if (strip) this.pos = skipSpaces(src, this.pos);
        else if (src[end - 1] !== '+' && this.settings.trimBlocks && src[this.pos] === '\n') this.pos++;
        continue;
      }
      if (kind === '%') {
        // Jinja2 accepts only `%}` or `-%}` here, and trim_blocks does not apply after `{% raw %}`.
        const raw = /\s*raw\s*(-?)%\}/y;
        raw.lastIndex = after;
        const m = raw.exec(src);
        if (m) {
          this.pos = this.lexRaw(tagStart, raw.lastIndex, m[1] === '-');
          continue;
        }
      }
      this.push(kind === '{' ? 'variable_begin' : 'block_begin', slice.call(src, tagStart, after), tagStart);
      this.lexTag(after, kind === '{' ? '}}' : '%}');
    }
    this.push('eof', '', src.length);
    return this.tokens;
  }

  /** `{% raw %}...{% endraw %}`: everything between is data, untouched. Returns the offset after the end tag. */
  private lexRaw(tagStart: number, contentStart: number, stripContentStart: boolean): number {
    const src = this.src;
    const endRe = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
    endRe.lastIndex = contentStart;
    const m = endRe.exec(src);
    if (!m) this.fail('raw block is not closed (missing {% endraw %})', tagStart);
    let content = src.slice(contentStart, m.index);
    if (stripContentStart) content = content.trimStart();
    if (m[1] === '-') content = content.trimEnd();
    else if (m[1] !== '+' && this.settings.lstripBlocks) content = lstrip(content, src[contentStart - 1] === '\n');
    if (content) this.push('data', content, contentStart);
    let next = m.index + m[0].length;
    if (m[2] === '-') next = skipSpaces(src, next);
    else if (m[2] !== '+' && this.settings.trimBlocks && src[next] === '\n') next++;
    return next;
  }

  /** Lexes the inside of `{{ }}` or `{% %}` and moves past the end tag (and the whitespace it strips). */
  private lexTag(start: number, closer: '}}' | '%}'): void {
    const src = this.src;
    const brackets: string[] = [];
    let i = start;
    for (;;) {
      while (i < src.length && isSpace(charCodeAt.call(src, i))) i++;
      if (i >= src.length) this.fail(`unexpected end of template, expected '${closer}'`, i);
      if (brackets.length === 0) {
        if (startsWith.call(src, closer, i) || ((src[i] === '-' || src[i] === '+') && startsWith.call(src, closer, i + 1))) {
          const mod = src[i] === '-' || src[i] === '+' ? src[i] : '';
          const endAt = i + mod.length + 2;
          this.push(closer === '}}' ? 'variable_end' : 'block_end', slice.call(src, i, endAt), i);
          this.pos = endAt;
          if (mod === '-') this.pos = skipSpaces(src, endAt);
          else if (closer === '%}' && mod !== '+' && this.settings.trimBlocks && src[endAt] === '\n') this.pos++;
          return;
        }
      }
      const c = src[i]!;
      const code = charCodeAt.call(src, i);
      if (c === '"' || c === "'") {
        i = this.lexString(i, c);
        continue;
      }
      if (code >= 48 && code <= 57) {
        i = this.lexNumber(i);
        continue;
      }
      if (isNameStart(code)) {
        let j = i + 1;
        while (j < src.length && isNamePart(charCodeAt.call(src, j))) j++;
        this.push('name', slice.call(src, i, j), i);
        i = j;
        continue;
      }
      const op = operatorAt(src, i);
      if (op === null) this.fail(`unexpected character ${JSON.stringify(c)}`, i);
      if (OPEN_TO_CLOSE[op]) brackets.push(OPEN_TO_CLOSE[op]!);
      else if (op === ')' || op === ']' || op === '}') {
        const expected = brackets.pop();
        if (expected === undefined) this.fail(`unexpected '${op}'`, i);
        if (expected !== op) this.fail(`unexpected '${op}', expected '${expected}'`, i);
      }
      this.push('operator', op, i);
      i += op.length;
    }
  }

  private lexString(start: number, quote: string): number {
    const src = this.src;
    let out = '';
    let i = start + 1;
    for (;;) {
      if (i >= src.length) this.fail('unterminated string literal', start);
      const c = src[i]!;
      if (c === quote) break;
      if (c === '\\') {
        const n = src[i + 1];
        if (n === undefined) this.fail('unterminated string literal', start);
        if (n === 'x' || n === 'u' || n === 'U') {
          const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
          const hex = src.slice(i + 2, i + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail(`invalid \\${n} escape in string literal`, i);
          out += String.fromCodePoint(parseInt(hex, 16));
          i += 2 + len;
          continue;
        }
        const esc = STRING_ESCAPES[n];
        // Python keeps unknown escapes as written (backslash included).
        out += esc === undefined ? '\\' + n : esc;
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    this.push('string', out, start);
    return i + 1;
  }

  private lexNumber(start: number): number {
    const re = /(\d(?:_?\d)*)(\.\d(?:_?\d)*)?([eE][+-]?\d(?:_?\d)*)?/y;
    re.lastIndex = start;
    const m = re.exec(this.src)!;
    let end = re.lastIndex;
    const isFloat = m[2] !== undefined || m[3] !== undefined;
    // Jinja2 rejects a name glued to a number (`1foo`) as a syntax error later; so do we here.
    if (end < this.src.length && isNamePart(this.src.charCodeAt(end))) this.fail(`invalid number literal ${JSON.stringify(this.src.slice(start, end + 1))}`, start);
    this.push(isFloat ? 'float' : 'integer', m[0].replace(/_/g, ''), start);
    return end;
  }
}

function skipSpaces(src: string, from: number): number {
  let i = from;
  while (i < src.length && isSpace(charCodeAt.call(src, i))) i++;
  return i;
}

function findTagStart(src: string, from: number): number {
  let i = indexOf.call(src, '{', from);
  while (i >= 0) {
    const n = charCodeAt.call(src, i + 1);
    if (n === 123 /* { */ || n === 37 /* % */ || n === 35 /* # */) return i;
    i = indexOf.call(src, '{', i + 1);
  }
  return -1;
}

/** lstrip_blocks: drop spaces and tabs between the start of the line and a block tag. */
function lstrip(data: string, dataStartsLine: boolean): string {
  const lineStart = data.lastIndexOf('\n') + 1;
  if (lineStart === 0 && !dataStartsLine) return data;
  const tail = data.slice(lineStart);
  return tail.length > 0 && /^\s+$/.test(tail) ? data.slice(0, lineStart) : data;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}
function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}
function isNamePart(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
