// Which (message, recipient) pairs have opened or clicked already, for the stats' unique counts, in bounded memory.
// Keys are 48-bit hashes (exact in a JS number; two of 250,000 keys collide with a chance of about 1 in 9,000) held
// in two generations: when the newer one is half full it becomes the older and the oldest is dropped, and a key
// found in the older is copied forward, so pairs still active stay. Cost: ~37 bytes a key in V8, so the default
// 250,000 keys hold under 10 MB. A pair forgotten this way that opens again counts as unique again: an over-count
// only past the bound, stated in docs/tracking.md. (A HyperLogLog would not serve: the stats answer any time range
// from minute buckets, and a sketch per tag and bucket is kilobytes where a first-open count is one number.)
import { createHash } from 'node:crypto';

export const DEFAULT_MAX_SEEN_KEYS = 250_000;

export class SeenKeys {
  private newer = new Set<number>();
  private older = new Set<number>();

  constructor(private readonly max: number = DEFAULT_MAX_SEEN_KEYS) {}

  /** Records `key`; true when it was not held (the first time, as far as the bound remembers). */
  firstTime(key: number): boolean {
    if (this.newer.has(key)) return false;
    const known = this.older.has(key);
    if (this.newer.size >= this.max / 2) {
      this.older = this.newer;
      this.newer = new Set();
    }
    this.newer.add(key);
    return !known;
  }

  get size(): number {
    return this.newer.size + this.older.size;
  }
}

/** A 48-bit hash of the parts (SHA-256's first 6 bytes): the key of one pair, kind and human/machine. */
export function seenKey(...parts: string[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUIntBE(0, 6);
}
