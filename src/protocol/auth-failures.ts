// AUTH failures per client address per minute (SPEC §2), across sessions; bounded memory.
// A sliding window: the last `limitPerMinute` failure times of each address, so no run of failures that straddles
// a clock minute can pass the limit (a fixed per-minute bucket let 2 x limit through at a minute boundary).
const WINDOW_MS = 60_000;
/** Past this many tracked addresses, addresses with no failure in the last minute are swept on the next record. */
const SWEEP_AT = 10_000;

export class AuthFailureCounter {
  /** Per address: its most recent failure times, oldest first, at most limitPerMinute of them. */
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly limitPerMinute: number) {}

  /** True when `address` failed `limitPerMinute` times within the last minute. */
  isBlocked(address: string, now: number = Date.now()): boolean {
    const times = this.recent.get(address);
    return times !== undefined && times.length >= this.limitPerMinute && now - times[0]! < WINDOW_MS;
  }

  record(address: string, now: number = Date.now()): void {
    let times = this.recent.get(address);
    if (times === undefined) {
      if (this.recent.size >= SWEEP_AT) {
        for (const [key, value] of this.recent) if (now - value[value.length - 1]! >= WINDOW_MS) this.recent.delete(key);
      }
      times = [];
      this.recent.set(address, times);
    }
    times.push(now);
    if (times.length > this.limitPerMinute) times.shift();
  }
}
