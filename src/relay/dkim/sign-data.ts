// The one expensive step, run in the worker threads (or on the caller's thread when a signer has no workers).
import { createHash, sign, type KeyObject } from 'node:crypto';
import type { DkimAlgorithm } from './dkim-key.js';

/**
 * b= for `data` (bytes, or a latin1 string of them): RSASSA-PKCS1-v1_5 over SHA-256 (RFC 6376 §3.3.1), or Ed25519
 * over the SHA-256 digest (RFC 8463 §3).
 */
export function signData(algorithm: DkimAlgorithm, key: KeyObject, data: Uint8Array | string): Buffer {
  if (algorithm === 'ed25519-sha256') {
    const hash = createHash('sha256');
    if (typeof data === 'string') hash.update(data, 'latin1');
    else hash.update(data);
    return sign(null, hash.digest(), key);
  }
  return sign('sha256', typeof data === 'string' ? Buffer.from(data, 'latin1') : data, key);
}
