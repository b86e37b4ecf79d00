// API keys: the secret a client presents as its SMTP password. Only SHA-256 hashes are configured or kept.
import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccountConfig } from '../config/index.js';
import type { CredentialStore } from '../store/store.js';

const KEY_PREFIX = 'txr_';
const HASH_PREFIX = 'sha256:';

/** A new random API key: "txr_" + 32 random bytes in base64url (256 bits of secret). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The form stored in the configuration: "sha256:" + 64 hex digits. */
export function hashApiKey(key: string): string {
  return HASH_PREFIX + createHash('sha256').update(key, 'utf8').digest('hex');
}

function digestOf(key: string): Buffer {
  // The one-shot hash() makes no Hash object: about a third cheaper, and this runs for every message.
  return hash('sha256', key, 'buffer');
}

interface IndexedKey {
  digest: Buffer;
  account: AccountConfig;
}

/** Finds the account of a presented API key: the configuration file's keys, then the runtime store's. */
export class ApiKeyIndex {
  // Keyed by the first byte of the digest only, so the map lookup itself reveals at most 8 bits of a hash
  // an attacker cannot steer anyway; the full comparison is timingSafeEqual.
  private readonly buckets = new Map<number, IndexedKey[]>();
  private readonly accountsById = new Map<string, AccountConfig>();

  constructor(
    accounts: readonly AccountConfig[],
    /** Keys created through the management API; null = the file's keys only. */
    private readonly stored: CredentialStore | null = null,
    private readonly now: () => number = Date.now,
  ) {
    for (const account of accounts) {
      this.accountsById.set(account.id, account);
      for (const hash of account.apiKeys) {
        if (!hash.startsWith(HASH_PREFIX)) throw new TypeError(`account ${account.id}: API key hash must start with "sha256:"`);
        const digest = Buffer.from(hash.slice(HASH_PREFIX.length), 'hex');
        if (digest.length !== 32) throw new TypeError(`account ${account.id}: API key hash must have 64 hex digits`);
        const bucket = this.buckets.get(digest[0]!) ?? [];
        bucket.push({ digest, account });
        this.buckets.set(digest[0]!, bucket);
      }
    }
  }

  /**
   * The account owning `key`, or null.
   * Constant-time with respect to the secret: the presented key is hashed first, so every branch and
   * comparison below works on SHA-256 digests, never on the stored secret's bytes; an attacker who varies
   * the key varies the digest unpredictably (preimage resistance), so timing cannot be used to converge on a
   * stored hash byte by byte. The final 32-byte comparison is timingSafeEqual, which touches every byte.
   */
  lookup(key: string): AccountConfig | null {
    const digest = digestOf(key);
    const bucket = this.buckets.get(digest[0]!);
    let found: AccountConfig | null = null;
    // Compare against the whole bucket without early exit, so the position of a match is not observable.
    if (bucket) {
      for (const entry of bucket) {
        if (timingSafeEqual(entry.digest, digest)) found = entry.account;
      }
    }
    if (found !== null || this.stored === null) return found;
    // A stored key names its account by id: an account removed from the file takes its stored keys with it.
    const t = this.now();
    const credential = this.stored.find(HASH_PREFIX + digest.toString('hex'), t);
    if (credential === null) return null;
    const account = this.accountsById.get(credential.account) ?? null;
    if (account !== null) this.stored.touch(credential.id, t);
    return account;
  }

  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.length;
    return n;
  }
}
