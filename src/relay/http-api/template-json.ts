// JSON text of a value read by parseTemplateJson, for the accept path's X-Transactional-Variables reader: the HTTP
// body's `variables` object becomes the text an SMTP client would have put in the header, so both are read by the
// same code. Floats written `10.0` stay floats (PyFloat), and "__proto__" stays an ordinary key.
import { PyFloat } from '../template/values.js';

export function templateJsonText(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof PyFloat) {
    const n = value.value;
    if (Object.is(n, -0)) return '-0.0';
    const s = String(n);
    // An integer-valued float: "10" would read back as an integer; "1e+21" already reads as a float.
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map(templateJsonText).join(',')}]`;
      return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${templateJsonText((value as Record<string, unknown>)[k])}`).join(',')}}`;
    default:
      throw new TypeError(`not a JSON value: ${typeof value}`);
  }
}
