// Template variables from JSON text. Unlike JSON.parse, `1.0` stays a float (prints "1.0" as in Jinja2).
import { PyFloat } from './values.js';

export class TemplateVariablesError extends Error {
  override readonly name = 'TemplateVariablesError';
}

const MAX_DEPTH = 256;

/** Any JSON value, with floats written as `1.0` kept as floats; throws TemplateVariablesError. */
export function parseTemplateJson(text: string): unknown {
  return new JsonReader(text).document();
}

/** Parses a JSON object of template variables; throws TemplateVariablesError naming the position and the reason. */
export function parseTemplateVariables(text: string): Record<string, unknown> {
  const value = new JsonReader(text).document();
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof PyFloat) {
    throw new TemplateVariablesError(`variables must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? 'a string' : 'a ' + (value instanceof PyFloat ? 'number' : typeof value)}`);
  }
  return value as Record<string, unknown>;
}

class JsonReader {
  private i = 0;
  constructor(private readonly s: string) {}

  private fail(reason: string): never {
    throw new TemplateVariablesError(`variables are not valid JSON: ${reason} at position ${this.i}`);
  }

  private skip(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  document(): unknown {
    this.skip();
    const v = this.value(0);
    this.skip();
    if (this.i < this.s.length) this.fail('unexpected text after the value');
    return v;
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.word('true', true);
      case 'f':
        return this.word('false', false);
      case 'n':
        return this.word('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private word(w: string, v: unknown): unknown {
    if (!this.s.startsWith(w, this.i)) this.fail(`unexpected character ${JSON.stringify(this.s[this.i])}`);
    this.i += w.length;
    return v;
  }

  private number(): number | PyFloat {
    const re = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) this.fail('invalid number');
    this.i = re.lastIndex;
    const n = Number(m[0]);
    const float = m[1] !== undefined || m[2] !== undefined;
    return float && Number.isInteger(n) ? new PyFloat(n) : n;
  }

  private string(): string {
    const s = this.s;
    const start = ++this.i;
    const close = s.indexOf('"', start);
    // Fast path: no escapes before the closing quote.
    if (close >= 0 && s.lastIndexOf('\\', close) < start) {
      const raw = s.slice(start, close);
      if (/[\u0000-\u001f]/.test(raw)) this.fail('control character in string');
      this.i = close + 1;
      return raw;
    }
    let out = '';
    for (;;) {
      const c = s[this.i];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\\') {
        const e = s[this.i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          this.i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(s.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else this.fail('invalid escape in string');
        continue;
      }
      if (c.charCodeAt(0) < 0x20) this.fail('control character in string');
      out += c;
      this.i++;
    }
  }

  private array(depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.skip();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.skip();
      out.push(this.value(depth + 1));
      this.skip();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private object(depth: number): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.skip();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.skip();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.skip();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.skip();
      // defineProperty keeps "__proto__" an ordinary own key instead of changing the prototype.
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.skip();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}
