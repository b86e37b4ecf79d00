// The admin API's bearer token (RFC 6750), compared in constant time: both sides are hashed first, so
// neither the content nor the length of the configured token leaks through response timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export const MIN_TOKEN_LENGTH = 16;

export class AdminTokenError extends Error {
  constructor(reason: string) {
    super(`admin token: ${reason}`);
    this.name = 'AdminTokenError';
  }
}

export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    if (token.length < MIN_TOKEN_LENGTH) throw new AdminTokenError(`must be at least ${MIN_TOKEN_LENGTH} characters (it guards the admin API), got ${token.length}`);
    // It travels in an Authorization header: visible ASCII only, no spaces.
    if (!/^[\x21-\x7e]+$/.test(token)) throw new AdminTokenError('must be visible ASCII characters without spaces (it is sent in an HTTP header)');
    this.digest = sha256(token);
  }

  /** True when the Authorization header is `Bearer <the token>`. */
  accepts(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
    if (!m) return false;
    return timingSafeEqual(sha256(m[1]!), this.digest);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
