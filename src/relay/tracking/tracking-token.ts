// The token of a tracking URL ("/o/<token>" open pixel, "/c/<token>" click): which message, recipient and link, signed.
//
// Format (v1), base64url without padding of:
//   0x01 | kind ('o' open, 'c' click) | recipient index (u16 BE) | link index (u16 BE) | account UTF-8 | 0x00 | message id UTF-8 | MAC (12 bytes)
// MAC = the first 12 bytes of HMAC-SHA256(secret, DOMAIN | every byte before the MAC): no field can be changed
// (another link, another recipient, a click posing as an open). The URL is not in it: the endpoint looks the link up
// in the message's tracking record (tracking-store.ts), so it is never an open redirect. The domain label keeps
// unsubscribe tokens, made with the same link secret, from passing as tracking tokens and back.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TrackingKind = 'open' | 'click';

export interface TrackingClaim {
  kind: TrackingKind;
  account: string;
  /** The spool id of the message. */
  id: string;
  /** The recipient's position in the message (the n of its Message-ID "<id>.<n>@host"). */
  recipient: number;
  /** The link's position among the message's tracked links; 0 for an open. */
  link: number;
}

const VERSION = 0x01;
const KIND_BYTE: Record<TrackingKind, number> = { open: 0x6f, click: 0x63 };
const MAC_BYTES = 12;
const DOMAIN = Buffer.from('txrelay tracking v1\u0000', 'latin1');
export const MAX_TRACKING_TOKEN_LENGTH = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ACCOUNT = /^[A-Za-z0-9._-]{1,64}$/;
const MESSAGE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class TrackingTokens {
  constructor(private readonly secret: Buffer) {
    if (secret.length < 16) throw new Error('the link secret must be at least 16 bytes');
  }

  sign(c: TrackingClaim): string {
    if (!ACCOUNT.test(c.account)) throw new Error(`tracking token: invalid account ${JSON.stringify(c.account)}`);
    if (!MESSAGE_ID.test(c.id)) throw new Error(`tracking token: invalid message id ${JSON.stringify(c.id)}`);
    if (!isU16(c.recipient) || !isU16(c.link)) throw new Error('tracking token: recipient and link index must be 0..65535');
    const head = Buffer.from([VERSION, KIND_BYTE[c.kind], c.recipient >> 8, c.recipient & 0xff, c.link >> 8, c.link & 0xff]);
    const payload = Buffer.concat([head, Buffer.from(`${c.account}\u0000${c.id}`, 'utf8')]);
    return Buffer.concat([payload, this.mac(payload)]).toString('base64url');
  }

  /** The claim, or null for anything sign() with this secret did not make (answered 404, no reason). */
  verify(token: string): TrackingClaim | null {
    if (token.length > MAX_TRACKING_TOKEN_LENGTH || !BASE64URL.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.toString('base64url') !== token || bytes.length < 6 + 3 + MAC_BYTES) return null;
    const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
    if (!timingSafeEqual(this.mac(payload), bytes.subarray(bytes.length - MAC_BYTES))) return null;
    if (payload[0] !== VERSION) return null;
    const kind = payload[1] === KIND_BYTE.open ? 'open' : payload[1] === KIND_BYTE.click ? 'click' : null;
    const fields = payload.toString('utf8', 6).split('\u0000');
    if (kind === null || fields.length !== 2) return null;
    const [account, id] = fields as [string, string];
    if (!ACCOUNT.test(account) || !MESSAGE_ID.test(id)) return null;
    return { kind, account, id, recipient: payload.readUInt16BE(2), link: payload.readUInt16BE(4) };
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(DOMAIN).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

function isU16(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}
