// The token of a one-click unsubscribe link (RFC 8058): what the endpoint needs, signed, in one URL path segment.
//
// Format (v1), base64url without padding of:
//   0x01 | scope ('a' account, 't' tag) | account UTF-8 | 0x00 | tag UTF-8 | 0x00 | recipient UTF-8 | MAC (16 bytes)
// MAC = the first 16 bytes of HMAC-SHA256(secret, DOMAIN | every byte before the MAC). The MAC covers every field,
// so no field can be swapped (another recipient, another tag, a wider scope); the domain label keeps tokens of
// other link kinds (tracking, issue 18) from passing as unsubscribe tokens. Nothing in it is a URL: no redirect.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UnsubscribeScope } from '../config/index.js';

export interface UnsubscribeClaim {
  account: string;
  /** The message's tag ("untagged" when it had none); with scope "tag" the suppression holds for it only. */
  tag: string;
  recipient: string;
  scope: UnsubscribeScope;
}

const VERSION = 0x01;
const SCOPE_BYTE: Record<UnsubscribeScope, number> = { account: 0x61, tag: 0x74 };
const MAC_BYTES = 16;
const DOMAIN = Buffer.from('txrelay unsubscribe v1\u0000', 'latin1');
/** Far beyond any real token (64-char account and tag, 320-char address): longer input is refused unread. */
export const MAX_TOKEN_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ACCOUNT = /^[A-Za-z0-9._-]{1,64}$/;
const TAG = /^[a-z0-9._-]{1,64}$/;

export class UnsubscribeTokens {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 16) throw new Error('the link secret must be at least 16 bytes');
  }

  /** The token of a claim; a field that cannot be carried (a NUL, a malformed account or tag) throws. */
  sign(c: UnsubscribeClaim): string {
    if (!ACCOUNT.test(c.account)) throw new Error(`unsubscribe token: invalid account ${JSON.stringify(c.account)}`);
    if (!TAG.test(c.tag)) throw new Error(`unsubscribe token: invalid tag ${JSON.stringify(c.tag)}`);
    if (c.recipient === '' || c.recipient.includes('\u0000')) throw new Error('unsubscribe token: invalid recipient');
    const payload = Buffer.from(`\u0001${String.fromCharCode(SCOPE_BYTE[c.scope])}${c.account}\u0000${c.tag}\u0000${c.recipient}`, 'utf8');
    return Buffer.concat([payload, this.mac(payload)]).toString('base64url');
  }

  /** The claim a token carries, or null for anything not made by sign() with this secret (no reason: a 404). */
  verify(token: string): UnsubscribeClaim | null {
    if (token.length > MAX_TOKEN_LENGTH || !BASE64URL.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    // One encoding per token: a string that decodes the same but differs (trailing bits) is not the signed one.
    if (bytes.toString('base64url') !== token || bytes.length < 2 + 4 + MAC_BYTES) return null;
    const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
    if (!timingSafeEqual(this.mac(payload), bytes.subarray(bytes.length - MAC_BYTES))) return null;
    if (payload[0] !== VERSION) return null;
    const scope = payload[1] === SCOPE_BYTE.account ? 'account' : payload[1] === SCOPE_BYTE.tag ? 'tag' : null;
    const fields = payload.toString('utf8', 2).split('\u0000');
    if (scope === null || fields.length !== 3) return null;
    const [account, tag, recipient] = fields as [string, string, string];
    if (!ACCOUNT.test(account) || !TAG.test(tag) || recipient === '') return null;
    return { account, tag, recipient, scope };
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(DOMAIN).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
