// Command-line and path parsing (go-smtp's parse.go): RFC 5321 §4.1.2 paths, ESMTP parameters, AUTH payloads.
// Parsers return an SmtpError as a value instead of throwing, so the dispatcher needs no try/catch per command.
import { isUtf8 } from 'node:buffer';
import type { MailParams } from './backend.js';
import { SmtpError } from './reply.js';

/** RFC 5321 §4.5.3.1: size limits of a path's parts, in octets. */
const MAX_LOCAL_PART = 64;
const MAX_DOMAIN = 255;
const MAX_PATH = 256;

/** A command line split into an upper-case verb and the argument text after the first space. */
export interface CommandLine {
  verb: string;
  argument: string;
}

/**
 * Splits `buf[start, end)` (the line without CRLF) into verb and argument.
 * Refuses control characters (RFC 5321 §4.1.1 commands are printable text) and invalid UTF-8.
 */
export function parseCommandLine(buf: Buffer, start: number, end: number): CommandLine | SmtpError {
  let space = -1;
  let highBit = false;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b < 0x20 || b === 0x7f) return new SmtpError(500, '5.5.2', 'Control characters are not allowed in commands');
    if (b === 0x20 && space < 0) space = i;
    else if (b >= 0x80) highBit = true;
  }
  if (highBit && !isUtf8(buf.subarray(start, end))) return new SmtpError(500, '5.5.2', 'Command is not valid UTF-8');
  const verbEnd = space < 0 ? end : space;
  let verb = buf.toString('latin1', start, verbEnd);
  if (!isUpperAscii(verb)) verb = verb.toUpperCase();
  const argument = space < 0 ? '' : buf.toString(highBit ? 'utf8' : 'latin1', space + 1, end);
  return { verb, argument };
}

function isUpperAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return false;
  }
  return true;
}

/** A parsed path: the address without angle brackets (source route dropped) and whether it has non-ASCII. */
export interface ParsedPath {
  address: string;
  nonAscii: boolean;
  /** Index just past the closing '>'. */
  end: number;
}

const enum Char {
  Space = 0x20,
  Quote = 0x22,
  Dot = 0x2e,
  Colon = 0x3a,
  Lt = 0x3c,
  Gt = 0x3e,
  At = 0x40,
  OpenBracket = 0x5b,
  Backslash = 0x5c,
  CloseBracket = 0x5d,
}

/** RFC 5322 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~"; RFC 6531 adds UTF-8 (here: any code point >= 0x80). */
function isAtext(c: number): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  if (c >= 0x80) return true;
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2a: case 0x2b: case 0x2d:
    case 0x2f: case 0x3d: case 0x3f: case 0x5e: case 0x5f: case 0x60: case 0x7b: case 0x7c: case 0x7d: case 0x7e:
      return true;
    default:
      return false;
  }
}

function isLetDig(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c >= 0x80;
}

/** Why a path is malformed; the caller turns it into 501 5.1.7 (MAIL) or 501 5.1.3 (RCPT). */
export class PathSyntaxError {
  constructor(readonly reason: string) {}
}

/**
 * Parses an RFC 5321 §4.1.2 Path starting at s[i] ('<'): optional source route (ignored, §C),
 * Dot-string or Quoted-string local part, domain or address literal. `allowNull` accepts "<>".
 */
export function parsePath(s: string, i: number, allowNull: boolean, allowPostmaster: boolean): ParsedPath | PathSyntaxError {
  return parseSimplePath(s, i) ?? parseFullPath(s, i, allowNull, allowPostmaster);
}

/** parsePath without the fast path (exported for the differential test). */
export function parseFullPath(s: string, i: number, allowNull: boolean, allowPostmaster: boolean): ParsedPath | PathSyntaxError {
  if (s.charCodeAt(i) !== Char.Lt) return new PathSyntaxError('address must be enclosed in <>');
  i++;
  if (s.charCodeAt(i) === Char.Gt) {
    return allowNull ? { address: '', nonAscii: false, end: i + 1 } : new PathSyntaxError('empty address');
  }
  // Source route "@a,@b:" — RFC 5321 §4.1.2 says receivers SHOULD ignore it.
  if (s.charCodeAt(i) === Char.At) {
    const colon = s.indexOf(':', i);
    if (colon < 0) return new PathSyntaxError('source route without ":"');
    i = colon + 1;
  }
  const addressStart = i;
  let nonAscii = false;
  // Local part.
  if (s.charCodeAt(i) === Char.Quote) {
    i++;
    for (;;) {
      if (i >= s.length) return new PathSyntaxError('unterminated quoted local part');
      const c = s.charCodeAt(i);
      if (c === Char.Quote) break;
      if (c === Char.Backslash) {
        const n = s.charCodeAt(i + 1);
        if (!(n >= 0x20 && n <= 0x7e) && !(n >= 0x80)) return new PathSyntaxError('bad quoted-pair in local part');
        if (n >= 0x80) nonAscii = true;
        i += 2;
        continue;
      }
      // qtextSMTP: %d32-33 / %d35-91 / %d93-126, plus UTF-8 (RFC 6531 §3.3).
      if (c >= 0x80) nonAscii = true;
      else if (c < 0x20 || c > 0x7e) return new PathSyntaxError('bad character in quoted local part');
      i++;
    }
    i++; // closing quote
  } else {
    let atomStart = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === Char.Dot) {
        if (i === atomStart) return new PathSyntaxError('empty atom in local part');
        i++;
        atomStart = i;
        continue;
      }
      if (i < s.length && isAtext(c)) {
        if (c >= 0x80) nonAscii = true;
        i++;
        continue;
      }
      break;
    }
    if (i === atomStart) return new PathSyntaxError(i === addressStart ? 'missing local part' : 'local part ends with "."');
  }
  const localEnd = i;
  if (utf8Length(s, addressStart, localEnd, nonAscii) > MAX_LOCAL_PART) return new PathSyntaxError('local part longer than 64 octets');
  if (s.charCodeAt(i) !== Char.At) {
    // RFC 5321 §4.1.1.3: "Postmaster" without a domain is a valid RCPT.
    if (allowPostmaster && s.charCodeAt(i) === Char.Gt && s.slice(addressStart, i).toLowerCase() === 'postmaster') {
      return { address: s.slice(addressStart, i), nonAscii: false, end: i + 1 };
    }
    return new PathSyntaxError('missing "@domain"');
  }
  i++;
  const domainStart = i;
  if (s.charCodeAt(i) === Char.OpenBracket) {
    const close = s.indexOf(']', i);
    if (close < 0) return new PathSyntaxError('unterminated address literal');
    if (!isAddressLiteral(s.slice(i + 1, close))) return new PathSyntaxError('bad address literal');
    i = close + 1;
  } else {
    for (;;) {
      // sub-domain = Let-dig [Ldh-str]; Ldh-str ends with Let-dig.
      if (!isLetDig(s.charCodeAt(i)) || i >= s.length) return new PathSyntaxError('bad domain');
      let last = s.charCodeAt(i);
      while (i < s.length) {
        const c = s.charCodeAt(i);
        if (isLetDig(c)) {
          if (c >= 0x80) nonAscii = true;
        } else if (c !== 0x2d) break;
        last = c;
        i++;
      }
      if (last === 0x2d) return new PathSyntaxError('domain label ends with "-"');
      if (s.charCodeAt(i) !== Char.Dot) break;
      i++;
    }
  }
  if (utf8Length(s, domainStart, i, nonAscii) > MAX_DOMAIN) return new PathSyntaxError('domain longer than 255 octets');
  if (s.charCodeAt(i) !== Char.Gt) return new PathSyntaxError('expected ">" after the address');
  if (utf8Length(s, addressStart, i, nonAscii) > MAX_PATH - 2) return new PathSyntaxError('address longer than 256 octets');
  return { address: s.slice(addressStart, i), nonAscii, end: i + 1 };
}

/**
 * The common path, "<dot-atom@ldh.domain>" in ASCII, by one sticky regular expression (linear: no part of it
 * can match the same text two ways). It accepts only what the full parser accepts, with the same result;
 * anything else (and any length over a limit) goes to the full parser.
 */
const SIMPLE_PATH =
  /<([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@([A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*(?:\.[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*)*)>/y;

export function parseSimplePath(s: string, i: number): ParsedPath | null {
  SIMPLE_PATH.lastIndex = i;
  const m = SIMPLE_PATH.exec(s);
  if (m === null) return null;
  const localLength = m[1]!.length;
  const domainLength = m[2]!.length;
  if (localLength > MAX_LOCAL_PART || domainLength > MAX_DOMAIN || localLength + 1 + domainLength > MAX_PATH - 2) return null;
  const end = SIMPLE_PATH.lastIndex;
  return { address: s.slice(i + 1, end - 1), nonAscii: false, end };
}

function utf8Length(s: string, start: number, end: number, nonAscii: boolean): number {
  return nonAscii ? Buffer.byteLength(s.slice(start, end)) : end - start;
}

const IPV4_PART_MAX = 255;

function isIpv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return false;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    if (Number(p) > IPV4_PART_MAX) return false;
  }
  return true;
}

/** RFC 5321 §4.1.3: IPv4, "IPv6:" and General-address-literal ("tag:dcontent"). */
function isAddressLiteral(s: string): boolean {
  if (isIpv4(s)) return true;
  const colon = s.indexOf(':');
  if (colon <= 0) return false;
  const tag = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  if (tag.toUpperCase() === 'IPV6') return isIpv6(rest);
  // General-address-literal: Standardized-tag is Ldh-str, dcontent is %d33-90 / %d94-126.
  for (let i = 0; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (!(isLetDig(c) && c < 0x80) && c !== 0x2d) return false;
  }
  if (rest.length === 0) return false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (!((c >= 33 && c <= 90) || (c >= 94 && c <= 126))) return false;
  }
  return true;
}

function isIpv6(s: string): boolean {
  // RFC 5321 §4.1.3 IPv6-addr, including the IPv4-embedded forms; 1-4 hex digits per group, at most one "::".
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  let groups = s.split(':');
  let v4 = 0;
  const lastGroup = groups[groups.length - 1]!;
  if (lastGroup.includes('.')) {
    if (!isIpv4(lastGroup)) return false;
    groups = groups.slice(0, -1);
    v4 = 2;
  }
  let count = 0;
  for (let k = 0; k < groups.length; k++) {
    const g = groups[k]!;
    if (g.length === 0) {
      // Empty groups only as part of the single "::".
      if (dbl < 0) return false;
      continue;
    }
    if (g.length > 4) return false;
    for (let i = 0; i < g.length; i++) {
      const c = g.charCodeAt(i) | 0x20;
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
    }
    count++;
  }
  return dbl >= 0 ? count + v4 <= 7 : count + v4 === 8;
}

/** One ESMTP parameter (RFC 5321 §4.1.2 esmtp-param): keyword upper-cased, value or null. */
export interface EsmtpParam {
  keyword: string;
  value: string | null;
}

/** Splits "KEY=VALUE KEY2" at s[i..]; null when a keyword or value is malformed. */
export function parseEsmtpParams(s: string, i: number): EsmtpParam[] | null {
  const out: EsmtpParam[] = [];
  while (i < s.length) {
    if (s.charCodeAt(i) === Char.Space) {
      i++;
      continue;
    }
    let j = i;
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || (c === 0x2d && j > i)) j++;
      else break;
    }
    if (j === i) return null;
    const keyword = s.slice(i, j).toUpperCase();
    let value: string | null = null;
    if (s.charCodeAt(j) === 0x3d) {
      const vStart = j + 1;
      j = vStart;
      // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 §3.3)
      while (j < s.length) {
        const c = s.charCodeAt(j);
        if ((c >= 33 && c <= 60) || (c >= 62 && c <= 126) || c >= 0x80) j++;
        else break;
      }
      if (j === vStart) return null;
      value = s.slice(vStart, j);
    }
    if (j < s.length && s.charCodeAt(j) !== Char.Space) return null;
    out.push({ keyword, value });
    i = j;
  }
  return out;
}

/** MAIL FROM: the reverse-path and its parameters. */
export interface MailCommand {
  from: string;
  params: MailParams;
}

/** Skips "FROM:" / "TO:" (case-insensitive) and the spaces some clients put after the colon. */
function skipKeyword(s: string, keyword: string): number {
  if (s.length < keyword.length || s.slice(0, keyword.length).toUpperCase() !== keyword) return -1;
  let i = keyword.length;
  while (s.charCodeAt(i) === Char.Space) i++;
  return i;
}

/** Parses the argument of MAIL ("FROM:<path> params"), checking SIZE against `maxMessageSize` (RFC 1870). */
export function parseMailArgument(arg: string, maxMessageSize: number): MailCommand | SmtpError {
  const start = skipKeyword(arg, 'FROM:');
  if (start < 0) return new SmtpError(501, '5.5.4', 'Syntax: MAIL FROM:<address>');
  const path = parsePath(arg, start, true, false);
  if (path instanceof PathSyntaxError) return new SmtpError(501, '5.1.7', `Bad sender address syntax: ${path.reason}`);
  if (path.end < arg.length && arg.charCodeAt(path.end) !== Char.Space) {
    return new SmtpError(501, '5.1.7', 'Bad sender address syntax: expected a space after ">"');
  }
  const list = parseEsmtpParams(arg, path.end);
  if (list === null) return new SmtpError(501, '5.5.4', 'Bad MAIL parameter syntax');
  const params: MailParams = { size: null, body: null, smtputf8: false };
  const seen = new Set<string>();
  for (const p of list) {
    if (seen.has(p.keyword)) return new SmtpError(501, '5.5.4', `Duplicate MAIL parameter ${p.keyword}`);
    seen.add(p.keyword);
    switch (p.keyword) {
      case 'SIZE': {
        if (p.value === null || !isDigits(p.value)) return new SmtpError(501, '5.5.4', 'SIZE parameter must be a decimal number');
        const size = Number(p.value);
        if (size > maxMessageSize) return new SmtpError(552, '5.3.4', `Message size exceeds the fixed maximum of ${maxMessageSize} bytes`);
        params.size = size;
        break;
      }
      case 'BODY': {
        const v = p.value === null ? '' : p.value.toUpperCase();
        if (v === '7BIT' || v === '8BITMIME') params.body = v;
        else if (v === 'BINARYMIME') return new SmtpError(555, '5.5.4', 'BODY=BINARYMIME is not supported');
        else return new SmtpError(501, '5.5.4', 'BODY parameter must be 7BIT or 8BITMIME');
        break;
      }
      case 'SMTPUTF8':
        if (p.value !== null) return new SmtpError(501, '5.5.4', 'SMTPUTF8 parameter takes no value');
        params.smtputf8 = true;
        break;
      case 'AUTH':
        // RFC 4954 §5: accepted because AUTH is advertised; the submitter identity is not used.
        break;
      default:
        return new SmtpError(555, '5.5.4', `Unsupported MAIL parameter ${p.keyword}`);
    }
  }
  if (path.nonAscii && !params.smtputf8) {
    return new SmtpError(553, '5.6.7', 'Non-ASCII sender address requires the SMTPUTF8 parameter');
  }
  return { from: path.address, params };
}

/** Parses the argument of RCPT ("TO:<path>"); `smtputf8` is whether the transaction's MAIL carried SMTPUTF8. */
export function parseRcptArgument(arg: string, smtputf8: boolean): string | SmtpError {
  const start = skipKeyword(arg, 'TO:');
  if (start < 0) return new SmtpError(501, '5.5.4', 'Syntax: RCPT TO:<address>');
  const path = parsePath(arg, start, false, true);
  if (path instanceof PathSyntaxError) return new SmtpError(501, '5.1.3', `Bad recipient address syntax: ${path.reason}`);
  if (path.end < arg.length) {
    if (arg.charCodeAt(path.end) !== Char.Space) return new SmtpError(501, '5.1.3', 'Bad recipient address syntax: expected a space after ">"');
    const list = parseEsmtpParams(arg, path.end);
    if (list === null) return new SmtpError(501, '5.5.4', 'Bad RCPT parameter syntax');
    if (list.length > 0) return new SmtpError(555, '5.5.4', `Unsupported RCPT parameter ${list[0]!.keyword}`);
  }
  if (path.nonAscii && !smtputf8) {
    return new SmtpError(553, '5.6.7', 'Non-ASCII recipient address requires SMTPUTF8 on MAIL');
  }
  return path.address;
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** BDAT argument (RFC 3030 §3): "<size> [LAST]". */
export interface BdatCommand {
  size: number;
  last: boolean;
}

export function parseBdatArgument(arg: string): BdatCommand | SmtpError {
  const space = arg.indexOf(' ');
  const sizeText = space < 0 ? arg : arg.slice(0, space);
  if (!isDigits(sizeText)) return new SmtpError(501, '5.5.4', 'Syntax: BDAT <size> [LAST]');
  let last = false;
  if (space >= 0) {
    const rest = arg.slice(space + 1).trim();
    if (rest.toUpperCase() !== 'LAST') return new SmtpError(501, '5.5.4', 'Syntax: BDAT <size> [LAST]');
    last = true;
  }
  return { size: Number(sizeText), last };
}

/** Decodes an AUTH response (RFC 4954 §4): base64, "=" meaning empty. Null when not valid base64. */
export function decodeAuthResponse(s: string): Buffer | null {
  if (s === '=') return Buffer.alloc(0);
  if (s.length === 0 || s.length % 4 !== 0) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f ||
      (c === 0x3d && i >= s.length - 2);
    if (!ok) return null;
  }
  return Buffer.from(s, 'base64');
}

/** Splits a decoded AUTH PLAIN message (RFC 4616 §2): authzid NUL authcid NUL passwd. */
export function parseAuthPlain(raw: Buffer): { username: string; password: string } | null {
  const first = raw.indexOf(0);
  if (first < 0) return null;
  const second = raw.indexOf(0, first + 1);
  if (second < 0 || raw.indexOf(0, second + 1) >= 0) return null;
  const user = raw.subarray(first + 1, second);
  const pass = raw.subarray(second + 1);
  if (!isUtf8(user) || !isUtf8(pass)) return null;
  return { username: user.toString('utf8'), password: pass.toString('utf8') };
}
