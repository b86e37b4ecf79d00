// Addr-specs (RFC 5322 §3.4.1, RFC 5321 §4.1.2): one internal form with the local part unquoted, written back
// as a dot-atom when it is one and as a quoted-string otherwise ("a b"@example.com), so no address is refused
// only because its local part needs quotes.

/** Why an address cannot be written into a header at all (a control character, a line break, no domain). */
export class AddressSyntaxError extends Error {
  constructor(readonly address: string, readonly reason: string) {
    super(`address ${JSON.stringify(address)} ${reason}`);
    this.name = 'AddressSyntaxError';
  }
}

const MAX_ADDRESS = 900;

/** atext (RFC 5322 §3.2.3), with every non-ASCII code unit allowed (RFC 6532 §3.2). */
function isAtext(c: number): boolean {
  if (c >= 0x80) return true;
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  // ! # $ % & ' * + - / = ? ^ _ ` { | } ~
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2f ||
    c === 0x3d || c === 0x3f || (c >= 0x5e && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

function isDotAtom(s: string): boolean {
  if (s.length === 0) return false;
  let prevDot = true; // no leading dot
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (prevDot) return false;
      prevDot = true;
    } else if (isAtext(c)) {
      prevDot = false;
    } else {
      return false;
    }
  }
  return !prevDot;
}

/** Splits at the last "@" and removes the quotes (and quoted-pair backslashes) of a quoted local part. */
function split(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at < 0) return null;
  let local = address.slice(0, at);
  if (local.length >= 2 && local.startsWith('"') && local.endsWith('"')) local = local.slice(1, -1).replace(/\\(.)/g, '$1');
  return { local, domain: address.slice(at + 1) };
}

/** The internal form: local part unquoted ("a b"@x -> a b@x); an address without "@" is returned as it is. */
export function unquoteAddress(address: string): string {
  if (!address.startsWith('"')) return address;
  const parts = split(address);
  return parts === null ? address : `${parts.local}@${parts.domain}`;
}

/** Whether two addresses name the same mailbox: local parts equal as written, domains case-insensitively. */
export function sameAddress(a: string, b: string): boolean {
  const x = split(a);
  const y = split(b);
  if (x === null || y === null) return a === b;
  return x.local === y.local && x.domain.toLowerCase() === y.domain.toLowerCase();
}

/**
 * The address as written in a header: a dot-atom local part as it is, any other as a quoted-string. Throws
 * AddressSyntaxError for what cannot be written at all: control characters, angle brackets or white space in
 * the domain, an empty local part or domain, more than 900 characters.
 */
export function formatAddress(address: string): string {
  // Fast path: atext, dots and one "@" only, as nearly every address is.
  let at = -1;
  let plain = address.length > 0 && address.length <= MAX_ADDRESS;
  for (let i = 0; plain && i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 0x40) {
      if (at >= 0) plain = false;
      at = i;
    } else if (c !== 0x2e && !isAtext(c)) {
      plain = false;
    }
  }
  if (plain && at > 0 && at < address.length - 1 && isDotAtom(address.slice(0, at))) return address;

  if (address.length > MAX_ADDRESS) throw new AddressSyntaxError(address.slice(0, 40) + '...', `is longer than ${MAX_ADDRESS} characters`);
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new AddressSyntaxError(address, 'contains a control character or line break');
  }
  const parts = split(address);
  if (parts === null) throw new AddressSyntaxError(address, 'has no "@domain"');
  if (parts.local === '') throw new AddressSyntaxError(address, 'has an empty local part');
  if (parts.domain === '' || /[\s<>()\[\]\\,;:"@]/.test(parts.domain.replace(/^\[[^\]]*\]$/, 'literal'))) {
    throw new AddressSyntaxError(address, 'has no valid domain');
  }
  const local = isDotAtom(parts.local) ? parts.local : '"' + parts.local.replace(/[\\"]/g, '\\$&') + '"';
  return `${local}@${parts.domain}`;
}
