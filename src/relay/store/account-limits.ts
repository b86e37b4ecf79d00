// Per-account sending rate (token bucket) and daily quota (UTC day), counted in outbound messages (recipients).
import { SmtpError } from '../../protocol/index.js';
import type { RateConfig } from '../config/index.js';

const DAY_MS = 86_400_000;

/** A rate or quota refusal (451 4.7.1, nothing queued), with how long until the same send could pass. */
export class AccountLimitError extends SmtpError {
  constructor(
    text: string,
    /** The HTTP API's Retry-After; SMTP clients retry on their own schedule. */
    readonly retryAfterMs: number,
  ) {
    super(451, '4.7.1', text);
    this.name = 'AccountLimitError';
  }
}

interface AccountUsage {
  tokens: number;
  refilledAt: number;
  day: number;
  sentToday: number;
}

export class AccountLimits {
  private readonly usage = new Map<string, AccountUsage>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes `count` sends from the account's budget or refuses them all (451 4.7.1, nothing queued).
   * Returns a function that gives them back, for when the message is refused later (e.g. spool full).
   */
  take(accountId: string, rate: RateConfig, count: number): () => void {
    if (rate.perSecond === null && rate.perDay === null) return noop;
    const t = this.now();
    let u = this.usage.get(accountId);
    if (!u) {
      u = { tokens: rate.perSecond ?? 0, refilledAt: t, day: Math.floor(t / DAY_MS), sentToday: 0 };
      this.usage.set(accountId, u);
    }
    const day = Math.floor(t / DAY_MS);
    if (day !== u.day) {
      u.day = day;
      u.sentToday = 0;
    }
    if (rate.perDay !== null && u.sentToday + count > rate.perDay) {
      throw new AccountLimitError(`Daily quota of ${rate.perDay} messages reached; try again tomorrow (UTC)`, (day + 1) * DAY_MS - t);
    }
    if (rate.perSecond !== null) {
      // Burst capacity is one second's worth, but never less than one message's recipients.
      const capacity = Math.max(rate.perSecond, count);
      u.tokens = Math.min(capacity, u.tokens + ((t - u.refilledAt) / 1000) * rate.perSecond);
      u.refilledAt = t;
      if (u.tokens < count) {
        throw new AccountLimitError(`Sending rate of ${rate.perSecond} messages per second exceeded; try again later`, Math.ceil(((count - u.tokens) / rate.perSecond) * 1000));
      }
      u.tokens -= count;
    }
    u.sentToday += count;
    const taken = u;
    return () => {
      taken.sentToday = Math.max(0, taken.sentToday - count);
      if (rate.perSecond !== null) taken.tokens += count;
    };
  }
}

function noop(): void {}
