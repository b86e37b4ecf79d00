// A clock the test moves by hand: timers fire only inside advance(), in time order.
import type { Clock } from '../../src/relay/timers/clock.js';

interface Timer {
  at: number;
  fn: () => void;
  seq: number;
}

export class ManualClock implements Clock {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(public time: number = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const t: Timer = { at: this.time + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(t);
    return t;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** When the earliest timer fires, or null. */
  nextTimerAt(): number | null {
    return this.timers.length === 0 ? null : Math.min(...this.timers.map((t) => t.at));
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }
}
