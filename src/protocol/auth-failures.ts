// AUTH failures per client address per minute (SPEC §2), across sessions; bounded memory.
const WINDOW_MS = 60_000;
/** Past this many tracked addresses, stale windows are swept on the next record. */
const SWEEP_AT = 10_000;

export class AuthFailureCounter {
  private readonly windows = new Map<string, { window: number; count: number }>();

  constructor(private readonly limitPerMinute: number) {}

  /** True when `address` already failed `limitPerMinute` times in the current minute. */
  isBlocked(address: string, now: number = Date.now()): boolean {
    const entry = this.windows.get(address);
    return entry !== undefined && entry.window === Math.floor(now / WINDOW_MS) && entry.count >= this.limitPerMinute;
  }

  record(address: string, now: number = Date.now()): void {
    const window = Math.floor(now / WINDOW_MS);
    const entry = this.windows.get(address);
    if (entry !== undefined && entry.window === window) {
      entry.count++;
      return;
    }
    if (this.windows.size >= SWEEP_AT) {
      for (const [key, value] of this.windows) if (value.window !== window) this.windows.delete(key);
    }
    this.windows.set(address, { window, count: 1 });
  }
}
