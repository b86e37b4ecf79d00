// The in-memory side of a credential store: by id for the API, by hash for the accept path, and the batched
// last-used times. Both store types keep one; they differ only in where the records are written.
import type { StoredCredential } from './store.js';

export class CredentialCache {
  private readonly byId = new Map<string, StoredCredential>();
  private readonly byHash = new Map<string, StoredCredential>();
  /** id -> last use not yet written. */
  private readonly touched = new Map<string, number>();

  set(c: StoredCredential): void {
    const old = this.byId.get(c.id);
    if (old) this.byHash.delete(old.hash);
    this.byId.set(c.id, c);
    this.byHash.set(c.hash, c);
  }

  delete(id: string): StoredCredential | null {
    const old = this.byId.get(id);
    if (!old) return null;
    this.byId.delete(id);
    this.byHash.delete(old.hash);
    this.touched.delete(id);
    return old;
  }

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<StoredCredential> {
    return this.byId.values();
  }

  get(id: string): StoredCredential | null {
    return this.byId.get(id) ?? null;
  }

  list(account: string): StoredCredential[] {
    const out: StoredCredential[] = [];
    for (const c of this.byId.values()) if (c.account === account) out.push(c);
    return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /**
   * The unexpired credential with this hash. A Map lookup by the SHA-256 of the presented secret: the hash
   * cannot be steered byte by byte by whoever presents a secret, so the lookup's timing reveals nothing useful.
   */
  find(hash: string, now: number): StoredCredential | null {
    const c = this.byHash.get(hash);
    if (!c || (c.expiresAt !== null && c.expiresAt <= now)) return null;
    return c;
  }

  touch(id: string, time: number): void {
    const c = this.byId.get(id);
    if (!c) return;
    c.lastUsedAt = Math.max(c.lastUsedAt ?? 0, time);
    this.touched.set(id, c.lastUsedAt);
  }

  /** The uses recorded since the last call (to write them in one batch). */
  drainTouched(): Array<[string, number]> {
    const out = [...this.touched];
    this.touched.clear();
    return out;
  }
}

/** A record read back from a file or Redis is a credential (anything else is skipped). */
export function isStoredCredential(v: unknown): v is StoredCredential {
  const c = v as StoredCredential;
  return (
    typeof c === 'object' && c !== null &&
    typeof c.id === 'string' && typeof c.account === 'string' && typeof c.hash === 'string' && /^sha256:[0-9a-f]{64}$/.test(c.hash) &&
    typeof c.createdAt === 'number' && (c.expiresAt === null || typeof c.expiresAt === 'number') &&
    (c.label === null || typeof c.label === 'string') && (c.lastUsedAt === null || typeof c.lastUsedAt === 'number')
  );
}
