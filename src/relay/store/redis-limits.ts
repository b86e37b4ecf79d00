// Sending rate and daily quota for a fleet: the budget is in Redis (TAKE_SCRIPT: a token bucket and a daily
// counter, atomic), and each relay reserves it in blocks so that most messages take from a local block with
// no round trip.
//
// Block size: the relay's demand for the account over one block lifetime (an estimate from the sends taken
// since its last reservation), at least one message's recipients, at most 1/20 of the rate (and 1/100 of the
// daily quota). So a relay sending one message now and then reserves one at a time (nothing held back from the
// others), while a busy one makes about 20 requests a second per account at the most, whatever its rate.
// What the fleet can overshoot by is nothing: every send is taken from the shared bucket before it is used.
// What it can undershoot by is what relays hold unused: at most 1/20 of a second's rate per relay, for at
// most BLOCK_LIFETIME_MS.
//
// A block half used is refilled in the background (one request, its grant added to the block), so a relay with
// a steady demand never waits for Redis: the round trip happens beside the accept path, not on it.
//
// Unused sends of a block past its lifetime are given back, not lost: with the relay's next request for the
// account, or by the sweep within SWEEP_MS. Rate tokens given back late are worth little (the bucket has
// refilled meanwhile, and is capped), but the daily quota must not shrink by what was reserved and not used.
//
// Redis down, or a request failing: the per-relay limits (AccountLimits) decide, as before the fleet store.
// A refusal is remembered until the bucket holds a block again, times the refusals in a row (up to
// MAX_BACKOFF, and at most a second), so a sender over its limit costs no round trip per refused message, and
// relays racing for the same refill spread out. Tokens are not lost meanwhile: the bucket keeps a second's worth.
import { SmtpError } from '../../protocol/index.js';
import type { RateConfig } from '../config/index.js';
import { AccountLimitError, AccountLimits } from './account-limits.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { TAKE_SCRIPT } from './redis-scripts.js';
import type { LimitStore, Release } from './store.js';

const DAY_MS = 86_400_000;

/** A block serves the relay this long after its reservation. */
export const BLOCK_LIFETIME_MS = 250;
/** Unused sends of expired blocks go back to Redis at least this often. */
const SWEEP_MS = 5_000;
/** An account's local state is dropped after this long without sends (and nothing to give back). */
const IDLE_FORGET_MS = 60_000;
/** A refusal is remembered at most this long. */
const MAX_REFUSAL_MEMORY_MS = 1_000;
/** The wait after a refusal grows with the refusals in a row, up to this factor. */
const MAX_BACKOFF = 4;

const enum Refusal {
  None = 0,
  Rate = 1,
  Quota = 2,
}

interface Budget {
  perSecond: number | null;
  perDay: number | null;
  /** Sends left in the current block, usable until expiresAt. */
  left: number;
  /** The size of the last block asked for (a refill starts when less than half of it is left). */
  size: number;
  /** No background refill before this (the last one was refused or failed). */
  refillAfter: number;
  expiresAt: number;
  /** UTC day (days since the epoch, Redis's clock) of the current block. */
  day: number;
  /** Changes when the block is replaced, so a late release does not refill a newer block. */
  generation: number;
  /** Unused sends to give back with the next request, and their day. */
  back: number;
  backDay: number;
  refusedUntil: number;
  refusal: Refusal;
  /** Refusals in a row: the relays of a fleet that all wait for the same refill would ask again together. */
  refusals: number;
  /** Refusals are remembered for messages of at least this many recipients. */
  refusedNeed: number;
  /** The reservation under way; others wait for it rather than asking in parallel. */
  inFlight: Promise<void> | null;
  /** Sends waiting for inFlight. */
  waiting: number;
  /** Estimated sends per second on this relay, and what it is measured from. */
  demand: number;
  takenSince: number;
  since: number;
  lastUsed: number;
}

export class RedisLimits implements LimitStore {
  private readonly budgets = new Map<string, Budget>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    /** Whether Redis is connected and the store loaded; while not, `fallback` decides. */
    private readonly up: () => boolean,
    private readonly onError: (err: Error) => void,
    readonly fallback: AccountLimits = new AccountLimits(),
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  take(account: string, rate: RateConfig, count: number): Release | Promise<Release> {
    // Unlimited accounts never reach Redis.
    if (rate.perSecond === null && rate.perDay === null) return noop;
    if (!this.up()) return this.fallback.take(account, rate, count);
    const b = this.budgetOf(account, rate);
    const now = this.now();
    b.lastUsed = now;
    if (now < b.refusedUntil && count >= b.refusedNeed) throw refusalError(b.refusal, rate);
    if (now < b.expiresAt && b.left >= count) {
      b.left -= count;
      b.takenSince += count;
      if (b.left * 2 < b.size && b.inFlight === null && now >= b.refillAfter) this.refill(account, b, rate);
      return this.releaseOf(b, count);
    }
    if (b.inFlight !== null) {
      b.waiting += count;
      return b.inFlight.then(() => {
        b.waiting -= count;
        return this.take(account, rate, count);
      });
    }
    return this.reserve(account, b, rate, count);
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Gives back what every block holds unused (at close, so the fleet gets it at once). */
  async giveBackAll(): Promise<void> {
    await Promise.all([...this.budgets].map(([account, b]) => this.giveBack(account, b, true)));
  }

  private reserve(account: string, b: Budget, rate: RateConfig, count: number): Promise<Release> {
    const now = this.now();
    this.retire(b);
    const want = Math.max(count + b.waiting, this.blockSize(b, rate, now));
    b.size = want;
    const back = b.back;
    const done = this.request(account, rate, want, count, back, b.backDay).then(
      ([granted, refusal, day, retryMs]) => {
        b.back -= back;
        if (refusal !== Refusal.None) {
          b.refusal = refusal;
          b.refusedNeed = count;
          b.refusedUntil = this.now() + this.backoff(b, retryMs);
          throw refusalError(refusal, rate);
        }
        b.refusals = 0;
        b.left = granted - count;
        b.expiresAt = this.now() + BLOCK_LIFETIME_MS;
        b.day = day;
        b.generation++;
        b.takenSince += count;
        return this.releaseOf(b, count);
      },
      (err: Error) => {
        this.onError(err);
        return this.fallback.take(account, rate, count);
      },
    );
    b.inFlight = done.then(noop, noop).finally(() => {
      b.inFlight = null;
    });
    return done;
  }

  /** Tops the block up in the background; a refusal or a failure only delays the next refill. */
  private refill(account: string, b: Budget, rate: RateConfig): void {
    const now = this.now();
    const want = this.blockSize(b, rate, now);
    b.size = want;
    const back = b.back;
    const done = this.request(account, rate, want, 1, back, b.backDay).then(
      ([granted, refusal, day, retryMs]) => {
        b.back -= back;
        const t = this.now();
        if (refusal !== Refusal.None) {
          b.refillAfter = t + this.backoff(b, retryMs);
          return;
        }
        b.refusals = 0;
        if (t >= b.expiresAt || b.day !== day) this.retire(b);
        b.left += granted;
        b.expiresAt = t + BLOCK_LIFETIME_MS;
        b.day = day;
      },
      (err: Error) => {
        this.onError(err);
        b.refillAfter = this.now() + MAX_REFUSAL_MEMORY_MS;
      },
    );
    b.inFlight = done.finally(() => {
      b.inFlight = null;
    });
  }

  private backoff(b: Budget, retryMs: number): number {
    b.refusals = Math.min(b.refusals + 1, MAX_BACKOFF);
    return Math.min(retryMs * b.refusals, MAX_REFUSAL_MEMORY_MS);
  }

  private async request(account: string, rate: RateConfig, want: number, need: number, back: number, backDay: number): Promise<[number, Refusal, number, number]> {
    const reply = await this.link.run(TAKE_SCRIPT, [this.keys.rate(account), this.keys.quota(account)], [rate.perSecond ?? 0, rate.perDay ?? 0, want, need, back, backDay]);
    if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((n) => typeof n === 'number')) throw new Error(`unexpected reply of the take script: ${JSON.stringify(reply)}`);
    return reply as [number, Refusal, number, number];
  }

  /** Demand over one block lifetime, within [1, cap]; measured from the sends since the last reservation. */
  private blockSize(b: Budget, rate: RateConfig, now: number): number {
    const observed = (b.takenSince * 1000) / Math.max(1, now - b.since);
    b.demand = b.since === 0 ? observed : (b.demand + observed) / 2;
    b.takenSince = 0;
    b.since = now;
    let cap = Number.MAX_SAFE_INTEGER;
    if (rate.perSecond !== null) cap = Math.min(cap, Math.floor(rate.perSecond / 20));
    if (rate.perDay !== null) cap = Math.min(cap, Math.floor(rate.perDay / 100));
    return Math.max(1, Math.min(cap, Math.ceil((b.demand * BLOCK_LIFETIME_MS) / 1000)));
  }

  private releaseOf(b: Budget, count: number): Release {
    const generation = b.generation;
    const day = b.day;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (b.generation === generation && this.now() < b.expiresAt) b.left += count;
      else addBack(b, count, day);
    };
  }

  /** Ends the current block: what it holds unused is to be given back. */
  private retire(b: Budget): void {
    if (b.left > 0) addBack(b, b.left, b.day);
    b.left = 0;
    b.expiresAt = 0;
    b.generation++;
  }

  private budgetOf(account: string, rate: RateConfig): Budget {
    let b = this.budgets.get(account);
    if (b && (b.perSecond !== rate.perSecond || b.perDay !== rate.perDay)) {
      // The account's limits changed (reload): the old block was sized for the old ones.
      this.retire(b);
      b.perSecond = rate.perSecond;
      b.perDay = rate.perDay;
      b.refusedUntil = 0;
    }
    if (!b) {
      b = {
        perSecond: rate.perSecond,
        perDay: rate.perDay,
        left: 0,
        size: 0,
        refillAfter: 0,
        expiresAt: 0,
        day: 0,
        generation: 0,
        back: 0,
        backDay: 0,
        refusedUntil: 0,
        refusal: Refusal.None,
        refusals: 0,
        refusedNeed: 0,
        inFlight: null,
        waiting: 0,
        demand: 0,
        takenSince: 0,
        since: 0,
        lastUsed: this.now(),
      };
      this.budgets.set(account, b);
    }
    return b;
  }

  private async sweep(): Promise<void> {
    if (!this.up()) return;
    const now = this.now();
    for (const [account, b] of this.budgets) {
      if (b.inFlight !== null) continue;
      if (b.left > 0 && now >= b.expiresAt) this.retire(b);
      if (b.back > 0) await this.giveBack(account, b, false);
      else if (now - b.lastUsed > IDLE_FORGET_MS) this.budgets.delete(account);
    }
  }

  private async giveBack(account: string, b: Budget, all: boolean): Promise<void> {
    if (all) this.retire(b);
    const back = b.back;
    if (back <= 0 || b.inFlight !== null) return;
    const rate = { perSecond: b.perSecond, perDay: b.perDay };
    try {
      await this.request(account, rate, 0, 0, back, b.backDay);
      b.back -= back;
    } catch (e) {
      this.onError(e as Error);
    }
  }
}

function addBack(b: Budget, count: number, day: number): void {
  // Sends of an earlier day cannot go back to that day's counter (it has expired): only the newest day's count.
  if (day !== b.backDay) {
    if (day < b.backDay) return;
    b.back = 0;
    b.backDay = day;
  }
  b.back += count;
}

/** The same refusals as the per-relay limits, with the Retry-After the HTTP API gives (the quota: the next UTC day). */
function refusalError(refusal: Refusal, rate: RateConfig): SmtpError {
  const now = Date.now();
  return refusal === Refusal.Quota
    ? new AccountLimitError(`Daily quota of ${rate.perDay ?? 0} messages reached; try again tomorrow (UTC)`, (Math.floor(now / DAY_MS) + 1) * DAY_MS - now)
    : new AccountLimitError(`Sending rate of ${rate.perSecond ?? 0} messages per second exceeded; try again later`, Math.ceil(1000 / Math.max(1, rate.perSecond ?? 1)));
}

function noop(): void {}
