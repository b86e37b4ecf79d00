// VERP return paths (issue 16 §2): the envelope sender of each outbound copy is `b-<queue id>-<n>-<sig>@<domain>`,
// so a report mailed back to it names one message and one recipient without guessing, and only reports for
// addresses the relay made are believed.
//
// The local part is lower case only, because a remote MTA may fold its case (RFC 5321 §2.4 allows it to keep it,
// not all do): a capital of the queue id ([A-Za-z0-9_-]) is written "_" + its lower case, and "_" as "__"; the
// relay's own ids (spool-id.ts: base 36 and hex) pass unchanged. "-" may appear in an id, so the local part is read
// from the right: the last field is the signature, the one before it n. The signature is the first 10 bytes
// (80 bits) of HMAC-SHA256(secret, id NUL n) in RFC 4648 base32, lower case: 16 characters. A local part stays
// within RFC 5321's 64 octets for the relay's ids (25-31 characters): 46 to 54 octets.
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'b-';
const SIGNATURE_BYTES = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const SIGNATURE_PATTERN = /^[a-z2-7]{16}$/;
const INDEX_PATTERN = /^(0|[1-9][0-9]{0,8})$/;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The message and recipient a VERP address stands for. */
export interface VerpTarget {
  /** The spool id of the message. */
  id: string;
  /** The recipient's position in the message (as in its `<id>.<n>@host` Message-ID). */
  index: number;
}

/** What a local part is: not a VERP address, one whose signature is wrong, or a message and recipient. */
export type VerpReading = { kind: 'none' } | { kind: 'forged' } | ({ kind: 'valid' } & VerpTarget);

export class VerpSigner {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 16) throw new Error('the VERP secret must be at least 16 bytes');
  }

  /** `b-<id>-<n>-<sig>`: lower case, signed. */
  localPart(id: string, index: number): string {
    if (!ID_PATTERN.test(id)) throw new Error(`not a queue id: ${JSON.stringify(id)}`);
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`not a recipient index: ${index}`);
    return `${PREFIX}${encodeId(id)}-${index}-${this.signature(id, index)}`;
  }

  address(domain: string, id: string, index: number): string {
    return `${this.localPart(id, index)}@${domain.toLowerCase()}`;
  }

  /** Reads a local part (any case). */
  read(localPart: string): VerpReading {
    const s = localPart.toLowerCase();
    if (!s.startsWith(PREFIX)) return { kind: 'none' };
    const last = s.lastIndexOf('-');
    const before = s.lastIndexOf('-', last - 1);
    if (before < PREFIX.length) return { kind: 'none' };
    const sig = s.slice(last + 1);
    const n = s.slice(before + 1, last);
    const id = decodeId(s.slice(PREFIX.length, before));
    if (!SIGNATURE_PATTERN.test(sig) || !INDEX_PATTERN.test(n) || id === null || !ID_PATTERN.test(id)) return { kind: 'none' };
    const index = Number(n);
    const ok = timingSafeEqual(Buffer.from(sig, 'latin1'), Buffer.from(this.signature(id, index), 'latin1'));
    return ok ? { kind: 'valid', id, index } : { kind: 'forged' };
  }

  private signature(id: string, index: number): string {
    return base32(createHmac('sha256', this.secret).update(`${id}\u0000${index}`).digest().subarray(0, SIGNATURE_BYTES));
  }
}

function encodeId(id: string): string {
  let out = '';
  for (const c of id) {
    if (c === '_') out += '__';
    else if (c >= 'A' && c <= 'Z') out += '_' + c.toLowerCase();
    else out += c;
  }
  return out;
}

/** The inverse of encodeId on a lower-cased text; null when it is no encoding of an id. */
function decodeId(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '_') out += '_';
    else if (next !== undefined && next >= 'a' && next <= 'z') out += next.toUpperCase();
    else return null;
  }
  return out;
}

function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
