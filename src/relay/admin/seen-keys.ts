// Which (message, recipient) pairs have opened or clicked already, for the stats' unique counts, in bounded memory.
// Keys are 53-bit hashes (exact in a JS number; two of 250,000 keys collide with a chance of about 1 in 290,000) held
// in two generations: when the newer one is half full it becomes the older and the oldest is dropped, and a key
// found in the older is copied forward, so pairs still active stay. Cost: ~37 bytes a key in V8, so the default
// 250,000 keys hold under 10 MB. A pair forgotten this way that opens again counts as unique again: an over-count
// only past the bound, stated in docs/tracking.md. (A HyperLogLog would not serve: the stats answer any time range
// from minute buckets, and a sketch per tag and bucket is kilobytes where a first-open count is one number.)

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

/**
 * A 53-bit hash of the parts (cyrb53: two 32-bit multiply-xorshift lanes, public domain): the key of one pair, kind and
 * human/machine. Not a cryptographic hash: the parts are the relay's own (its message ids, its senders' recipients),
 * and it runs for every open and click (SHA-256 here cost as much as the rest of the stats' work for an event).
 */
export function seenKey(...parts: string[]): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let p = 0; p < parts.length; p++) {
    const s = parts[p]!;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // A separator between the parts, so ("ab", "c") and ("a", "bc") differ.
    h1 = Math.imul(h1 ^ 0x1f, 2654435761);
    h2 = Math.imul(h2 ^ 0x1f, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
