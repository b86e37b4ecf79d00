// Bounded label values by volume: the `size` busiest keys (destinations) keep their own label, every other key is
// counted under "other". Volumes are counted for at most `trackedKeys` keys; past that every count is halved and
// the keys left at zero are forgotten (old traffic weighs less than new). A key enters the top when its volume
// passes the smallest labelled one by a quarter (no flapping between two keys of equal volume); the key it
// replaces is handed to `onEvicted` so its series can be dropped: each series only ever goes up while it exists.
import { OVERFLOW_LABEL_VALUE } from './metrics.js';

export class TopLabels {
  private readonly volume = new Map<string, number>();
  private readonly labelled = new Set<string>();

  constructor(
    private readonly size: number,
    private readonly onEvicted: (key: string) => void = () => {},
    private readonly trackedKeys = Math.max(1000, size * 50),
  ) {}

  /** Counts one unit of volume for `key` and returns its label value: the key itself, or "other". */
  labelOf(key: string): string {
    const v = (this.volume.get(key) ?? 0) + 1;
    this.volume.set(key, v);
    if (this.volume.size > this.trackedKeys) this.age();
    if (this.labelled.has(key)) return key;
    if (this.size <= 0) return OVERFLOW_LABEL_VALUE;
    if (this.labelled.size < this.size) {
      this.labelled.add(key);
      return key;
    }
    let smallest: string | null = null;
    let least = Infinity;
    for (const k of this.labelled) {
      const kv = this.volume.get(k) ?? 0;
      if (kv < least) {
        least = kv;
        smallest = k;
      }
    }
    if (smallest !== null && v > least * 1.25 + 1) {
      this.labelled.delete(smallest);
      this.onEvicted(smallest);
      this.labelled.add(key);
      return key;
    }
    return OVERFLOW_LABEL_VALUE;
  }

  /** The keys that have their own label now. */
  keys(): string[] {
    return [...this.labelled];
  }

  private age(): void {
    for (const [k, v] of this.volume) {
      const half = Math.floor(v / 2);
      if (half === 0 && !this.labelled.has(k)) this.volume.delete(k);
      else this.volume.set(k, half);
    }
  }
}
