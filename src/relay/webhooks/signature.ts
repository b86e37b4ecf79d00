// Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): the secret is "whsec_"
// followed by base64 of 24 to 64 random bytes; each request carries webhook-id, webhook-timestamp (seconds) and
// webhook-signature "v1,<base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed with the decoded secret>".
import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SECRET_MIN_BYTES = 24;
export const WEBHOOK_SECRET_MAX_BYTES = 64;

/** A new secret: "whsec_" + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key of a secret, or a reason it is not one. */
export function webhookSecretKey(secret: string): Buffer | string {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return `must start with "${WEBHOOK_SECRET_PREFIX}" (txrelay keygen --webhook makes one)`;
  const b64 = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return `must be "${WEBHOOK_SECRET_PREFIX}" followed by base64`;
  const key = Buffer.from(b64, 'base64');
  if (key.length < WEBHOOK_SECRET_MIN_BYTES || key.length > WEBHOOK_SECRET_MAX_BYTES) {
    return `must hold ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES} random bytes, got ${key.length}`;
  }
  return key;
}

/** The three headers of one request; `timestamp` in seconds since the epoch. */
export function signedHeaders(key: Buffer, id: string, timestamp: number, body: string): Record<string, string> {
  const ts = String(Math.floor(timestamp));
  const mac = createHmac('sha256', key).update(`${id}.${ts}.`, 'utf8').update(body, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${mac}` };
}
