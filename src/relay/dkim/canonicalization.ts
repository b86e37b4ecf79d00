// DKIM "relaxed" canonicalization (RFC 6376 §3.4.2 headers, §3.4.4 body) and the body hash (bh=, §3.7).
// The body is canonicalized in one pass over its bytes, without building strings: it is the large part of a message.
import { createHash } from 'node:crypto';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;

/** Where the header block ends and the body starts (after the first empty line); the whole buffer when there is none. */
export function splitMessage(message: Buffer): { header: Buffer; body: Buffer } {
  const crlf = message.indexOf('\r\n\r\n');
  // An LF LF only counts before the first CRLF CRLF: looked for there only, not through the whole body (the common case).
  const lf = crlf === -1 ? message.indexOf('\n\n') : message.subarray(0, crlf).indexOf('\n\n');
  if (crlf !== -1 && lf === -1) return { header: message.subarray(0, crlf + 2), body: message.subarray(crlf + 4) };
  if (lf !== -1) return { header: message.subarray(0, lf + 1), body: message.subarray(lf + 2) };
  return { header: message, body: message.subarray(message.length) };
}

/** Whether some LF has no CR before it. */
function hasBareLineFeed(buf: Buffer): boolean {
  for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, i + 1)) if (i === 0 || buf[i - 1] !== CR) return true;
  return false;
}

/**
 * Whether relaxing changes nothing (a body with CRLF line ends only): no tab, no two spaces in a row, no space
 * before a line end, it ends with CRLF and not with an empty line. Composed bodies (quoted-printable, base64) are so:
 * then the one-byte-at-a-time pass and its copy are skipped (native searches instead).
 */
function alreadyRelaxed(body: Buffer): boolean {
  const n = body.length;
  if (n < 3 || body[n - 2] !== CR || body[n - 1] !== LF) return false;
  if (body[n - 3] === LF || body[n - 3] === SP) return false;
  return body.indexOf(TAB) === -1 && body.indexOf('  ') === -1 && body.indexOf(' \r\n') === -1;
}

/**
 * §3.4.4: runs of WSP become one SP, WSP at line ends goes, empty lines at the end go, and a non-empty body ends
 * with CRLF. Bare LFs count as line ends (written CRLF), as a relay writes them on the wire.
 */
export function relaxedBody(body: Buffer): Buffer {
  if (hasBareLineFeed(body)) body = Buffer.from(body.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  if (alreadyRelaxed(body)) return body;
  const out = Buffer.allocUnsafe(body.length + 2);
  let p = 0;
  let lineStart = 0;
  let pendingEmptyLines = 0;
  let wsp = false;
  const n = body.length;
  for (let i = 0; i < n; i++) {
    const b = body[i]!;
    if (b === SP || b === TAB) {
      wsp = true;
    } else if (b === CR && i + 1 < n && body[i + 1] === LF) {
      i++;
      if (p === lineStart) pendingEmptyLines++;
      else {
        out[p++] = CR;
        out[p++] = LF;
      }
      lineStart = p;
      wsp = false;
    } else {
      if (p === lineStart && pendingEmptyLines > 0) {
        for (; pendingEmptyLines > 0; pendingEmptyLines--) {
          out[p++] = CR;
          out[p++] = LF;
        }
        lineStart = p;
      }
      if (wsp) {
        out[p++] = SP;
        wsp = false;
      }
      out[p++] = b;
    }
  }
  if (p !== lineStart) {
    out[p++] = CR;
    out[p++] = LF;
  }
  return out.subarray(0, p);
}

/** The bh= value: base64 of SHA-256 over the relaxed body. */
export function relaxedBodyHash(body: Buffer): string {
  return createHash('sha256').update(relaxedBody(body)).digest('base64');
}

/**
 * §3.4.2 for one header field given as its raw text (name, colon, value, folds; with or without the final CRLF):
 * name in lower case, the value unfolded, WSP runs as one SP, no WSP around the colon or at the end.
 */
export function relaxedHeader(field: string): string {
  const colon = field.indexOf(':');
  let name = field.slice(0, colon);
  const last = name.charCodeAt(name.length - 1);
  if (last === SP || last === TAB) name = name.replace(/[ \t]+$/, '');
  let value = field.slice(colon + 1);
  // Each replace only when it has something to do: most fields have no fold, no tab and no double space.
  if (value.includes('\n')) value = value.replace(/\r?\n/g, '');
  if (value.includes('\t') || value.includes('  ')) value = value.replace(/[ \t]+/g, ' ');
  return `${name.toLowerCase()}:${value.trim()}\r\n`;
}

/** The header block as fields (each with its folds, without the final line break), in order. */
export function headerFields(header: Buffer): string[] {
  const lines = header.toString('latin1').split(/\r?\n/);
  const fields: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  return fields;
}
