// The clocks of one session: command timeout (client silence), session deadline, the minimum data rate of a
// message, and the linger after we hang up. One timer per session: reads and writes only note the time
// (performance.now()), and the timer re-arms itself when it fires.
import { performance } from 'node:perf_hooks';
import type { EngineConfig } from './options.js';

/** After we hang up, how long a peer may keep the socket before it is destroyed. */
export const LINGER_MS = 2000;

/** What the timers act on. */
export interface TimedSession {
  /** Bytes queued for writing on the socket. */
  pendingWrite(): number;
  /** The command timeout or the session deadline passed (not called after hangUp()). */
  expired(deadline: boolean): void;
  /** The linger after a hang-up is over. */
  lingerOver(): void;
}

export class SessionTimers {
  private timer: NodeJS.Timeout | null = null;
  private readonly openedAt: number;
  /** Last read or write: the command timeout counts client silence from here (as socket.setTimeout did). */
  private lastActivity: number;
  /** When we hung up (0: not yet): the peer gets LINGER_MS to close. */
  private closedAt = 0;
  private hungUp = false;
  /** Bytes queued for writing when the timer last fired: a write in progress suppresses the timeout. */
  private lastPendingWrite = 0;
  // The data rate of the current message (Date.now(), as the rate is averaged over seconds).
  private messageStartedAt = 0;
  private messageBytesIn = 0;

  constructor(
    private readonly config: EngineConfig,
    private readonly session: TimedSession,
  ) {
    const now = performance.now();
    this.openedAt = now;
    this.lastActivity = now;
    this.arm(Math.min(config.commandTimeoutMs, config.sessionDeadlineMs));
  }

  /** A read or a write: the client is not silent. */
  touch(): void {
    this.lastActivity = performance.now();
  }

  /** We hung up: the peer has LINGER_MS (or a command timeout of silence) to close. */
  hangUp(): void {
    this.hungUp = true;
    this.closedAt = performance.now();
    // The timer never sleeps longer than LINGER_MS, so it wakes by the linger's end without a re-arm here;
    // only a hang-up made by the timer itself (an expiry) finds none armed.
    if (this.timer === null) this.arm(LINGER_MS);
  }

  /** The session is over: nothing is due any more. */
  stop(): void {
    this.hungUp = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  messageStarted(): void {
    this.messageBytesIn = 0;
    this.messageStartedAt = Date.now();
  }

  messageBytes(n: number): void {
    this.messageBytesIn += n;
  }

  /** The message arrives below minDataRateBytesPerSec once dataRateGraceMs passed. */
  dataTooSlow(): boolean {
    const rate = this.config.minDataRateBytesPerSec;
    if (rate === 0) return false;
    const elapsed = Date.now() - this.messageStartedAt;
    return elapsed > this.config.dataRateGraceMs && this.messageBytesIn * 1000 < rate * elapsed;
  }

  /** At most LINGER_MS ahead: a hang-up then needs no re-arm (an idle session wakes every LINGER_MS, cheaply). */
  private arm(ms: number): void {
    const timer = setTimeout(this.onTimer, Math.min(LINGER_MS, Math.max(1, Math.ceil(ms))));
    timer.unref();
    this.timer = timer;
  }

  /** The earliest moment something is due: command timeout, deadline, or (after hang-up) the linger's end. */
  private nextDue(): number {
    const idle = this.lastActivity + this.config.commandTimeoutMs;
    if (this.hungUp) return Math.min(idle, this.closedAt + LINGER_MS);
    return Math.min(idle, this.openedAt + this.config.sessionDeadlineMs);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const now = performance.now();
    if (now - this.lastActivity >= this.config.commandTimeoutMs) {
      // As net.Socket's timeout: a write that is still making progress is not silence.
      const pending = this.session.pendingWrite();
      if (pending > 0 && pending !== this.lastPendingWrite) {
        this.lastPendingWrite = pending;
        this.lastActivity = now;
      }
    }
    if (this.hungUp) {
      // After we hung up: the peer may keep the socket LINGER_MS at most, or a command timeout of silence.
      if (now >= this.closedAt + LINGER_MS || now - this.lastActivity >= this.config.commandTimeoutMs) {
        this.session.lingerOver();
        return;
      }
    } else if (now - this.openedAt >= this.config.sessionDeadlineMs) {
      // An expiry hangs up (hangUp() re-arms for the linger) or destroys a handshaking socket: no re-arm here.
      this.session.expired(true);
      return;
    } else if (now - this.lastActivity >= this.config.commandTimeoutMs) {
      this.session.expired(false);
      return;
    }
    this.arm(this.nextDue() - now);
  };
}
