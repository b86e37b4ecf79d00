// The one expensive step, run in the worker threads (or on the caller's thread when a signer has no workers).
import { createHash, sign, type KeyObject } from 'node:crypto';
import type { DkimAlgorithm } from './dkim-key.js';

/** b= for `data`: RSASSA-PKCS1-v1_5 over SHA-256 (RFC 6376 §3.3.1), or Ed25519 over the SHA-256 digest (RFC 8463 §3). */
export function signData(algorithm: DkimAlgorithm, key: KeyObject, data: Uint8Array): Buffer {
  if (algorithm === 'ed25519-sha256') return sign(null, createHash('sha256').update(data).digest(), key);
  return sign('sha256', data, key);
}
