// `"store": { "type": "redis", "url": ..., "prefix": ... }`: the runtime state shared by every relay of a fleet
// through one Redis (key layout: redis-keys.ts).
//
// Reads come from a cache of the whole state (RedisCache), so the accept path makes no round trip. The cache
// is loaded at open and kept current by the change channel: every write is a Lua script that writes, bumps
// `<p>version` and publishes the change with its version, atomically (WRITE_SCRIPT), so every relay applies
// it within the channel's latency and can tell when it missed one (a gap in the versions). Then, and after
// every reconnect, the relay reloads everything in one MULTI (a consistent snapshot with its version); the
// changes that arrive meanwhile are buffered and applied on top. Every VERSION_CHECK_MS the relay compares
// `<p>version` with its own as a safety net (one GET), and reloads when they differ.
//
// Redis down (either connection lost, or the reload after a reconnect not done yet): `health().up` is false,
// logged once per outage. Reads go on from the caches; rate and quota fall back to the per-relay limits
// (RedisLimits); suppression writes go to a durable local journal (redis-journal.ts) and to the cache, and
// are written in order when Redis returns, before the reload; new tags and last-used times wait in memory;
// API key, template and webhook endpoint writes fail with StoreUnavailableError (the management API answers 503).
//
// Redis unreachable at open: the relay starts anyway, from the copy of the cache it saved last time it was up
// (`<data>/store/redis-cache.json`, written after each load and at most every SAVE_MS when the state moved;
// empty caches when there is none), with the per-relay limits; it says so in the log and loads everything
// when Redis comes. Refusing to start would turn a Redis outage
// during a restart or deploy into an outage of the whole fleet's mail; /readyz reports the store down, so a
// load balancer that checks it (the fleet's HAProxy) keeps the other relays first.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { UNTAGGED } from '../accept/policy.js';
import { SmtpError } from '../../protocol/index.js';
import { entryKey, isAccountId, SuppressionAccountError, suppressionKey, type SuppressionEntry } from '../storage/suppression-list.js';
import { writeFileDurably } from '../storage/durable-file.js';
import { RedisCache, type RedisSnapshot, type SavedCache } from './redis-cache.js';
import { WriteJournal } from './redis-journal.js';
import { isSuppressionEntry, parseChangeMessage, redisKeys, type Change, type CredentialKind, type RedisKeys, type VersionedChange } from './redis-keys.js';
import { RedisLimits } from './redis-limits.js';
import { RedisLink } from './redis-link.js';
import { RedisWebhooks } from './redis-webhooks.js';
import { WRITE_SCRIPT } from './redis-scripts.js';
import { templateKey } from './template-check.js';
import { sameWebhooks } from './webhook-check.js';
import {
  StoreUnavailableError,
  type CredentialStore,
  type RuntimeStore,
  type StoreHealth,
  type StoredCredential,
  type StoredTemplate,
  type SuppressionStore,
  type TagStore,
  type TemplateStore,
} from './store.js';

/** Last-used times are written at most this often. */
const TOUCH_FLUSH_MS = 30_000;
/** The safety net: how often the relay compares its version with Redis's. */
const VERSION_CHECK_MS = 10_000;
/** A failed synchronization while connected is tried again after this. */
const SYNC_RETRY_MS = 1_000;
/** The longest wait between synchronization attempts while Redis answers with errors. */
const SYNC_RETRY_MAX_MS = 30_000;
/** The cache's copy on disk is rewritten at most this often (and only when the state changed). */
const SAVE_MS = 60_000;
/** A snapshot whose account sets changed between its two reads is read again at most this many times. */
const SNAPSHOT_TRIES = 3;

export interface RedisStoreOptions {
  url: string;
  prefix: string;
  /** The relay's data folder: the journal of writes waiting for Redis is `<data>/store/redis-pending.jsonl`. */
  dataDir: string;
  logger: Logger;
}

/** A suppression write waiting for Redis. */
type PendingWrite = { op: 'add'; account: string; key: string; entry: SuppressionEntry } | { op: 'remove'; account: string; key: string };

function isPendingWrite(v: unknown): v is PendingWrite {
  const w = v as PendingWrite;
  return (
    typeof w === 'object' && w !== null && typeof w.account === 'string' && typeof w.key === 'string' &&
    ((w.op === 'add' && isSuppressionEntry(w.entry)) || w.op === 'remove')
  );
}

/** Counters for the bench and the metrics. */
export interface RedisStoreStats {
  /** Requests sent to Redis (a MULTI or a script is one). */
  roundTrips: number;
  /** Full reloads of the cache. */
  reloads: number;
  /** Change messages applied. */
  changesApplied: number;
}

export class RedisStore implements RuntimeStore {
  readonly type = 'redis';
  readonly apiKeys: RedisCredentials;
  readonly accountTokens: RedisCredentials;
  readonly templates: RedisTemplates;
  readonly suppressions: RedisSuppressions;
  readonly webhooks: RedisWebhooks;
  readonly limits: RedisLimits;
  readonly tags: RedisTags;

  /** The current cache; replaced whole by a reload. */
  cache = new RedisCache();
  readonly keys: RedisKeys;
  private readonly link: RedisLink;
  private readonly logger: Logger;
  /** True once the cache is loaded from Redis and the link has stayed connected since. */
  private synced = false;
  /** Synchronizations failed in a row (the retry backs off with it). */
  private syncFailures = 0;
  private closing: Promise<void> | null = null;
  /** Changes received while a synchronization runs, applied on top of its snapshot. */
  private buffer: VersionedChange[] | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private flushingJournal: Promise<void> | null = null;
  /** New tags not yet in Redis (Redis down or the write failed). */
  readonly pendingTags = new Map<string, Set<string>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Whether the current outage was logged (once per outage). */
  private outageLogged = false;
  private lastError: string | null = null;
  private reloads = 0;
  private changesApplied = 0;
  /** The cache's copy on disk, for a start while Redis is unreachable, and the version it holds. */
  private readonly savedPath: string;
  private savedVersion = -1;
  private saving: Promise<void> | null = null;

  private constructor(o: RedisStoreOptions, readonly journal: WriteJournal<PendingWrite>) {
    this.logger = o.logger;
    this.keys = redisKeys(o.prefix);
    this.savedPath = join(o.dataDir, 'store', 'redis-cache.json');
    this.link = new RedisLink(o.url, this.keys.channel, {
      connected: () => this.synchronize('connected'),
      disconnected: (reason) => this.wentDown(reason),
      message: (text) => this.received(text),
    });
    this.apiKeys = new RedisCredentials(this, 'apiKeys');
    this.accountTokens = new RedisCredentials(this, 'accountTokens');
    this.templates = new RedisTemplates(this);
    this.suppressions = new RedisSuppressions(this);
    this.webhooks = new RedisWebhooks(this);
    this.tags = new RedisTags(this);
    this.limits = new RedisLimits(this.link, this.keys, () => this.up, (e) => this.noteError(e));
    const every = (ms: number, fn: () => Promise<void>): void => {
      const t = setInterval(() => void fn().catch((e: Error) => this.noteError(e)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(TOUCH_FLUSH_MS, () => this.flushTouched());
    every(VERSION_CHECK_MS, () => this.checkVersion());
    every(SAVE_MS, () => this.saveCache());
    // Pre-existing journal records are in the cache at once, so the relay honours them while Redis is away.
    for (const w of journal.records()) applyPending(this.cache, w);
  }

  /** Connects and loads the cache; when Redis cannot be reached, starts without it (see the head comment). */
  static async open(o: RedisStoreOptions): Promise<RedisStore> {
    const journal = await WriteJournal.open(join(o.dataDir, 'store', 'redis-pending.jsonl'), isPendingWrite);
    const store = new RedisStore(o, journal);
    try {
      await store.link.connect();
    } catch {
      // reconnects go on in the background; reported below
    }
    if (store.syncing) await store.syncing;
    else if (store.link.connected && !store.up) await store.synchronize('open');
    if (!store.up) {
      store.outageLogged = true;
      const saved = await store.readSavedCache();
      o.logger.warn(
        { url: redactUrl(o.url), err: store.link.lastError ?? store.lastError, pendingWrites: journal.size, savedCache: saved },
        saved === null
          ? 'redis store unreachable at start: starting with empty caches and per-relay rate limits; keys and templates made through the API work once it is reached'
          : 'redis store unreachable at start: starting from the cache saved when it was last reached, with per-relay rate limits',
      );
    } else o.logger.info({ url: redactUrl(o.url), prefix: o.prefix, version: store.cache.version, ...store.sizes() }, 'redis store loaded');
    return store;
  }

  /** Connected and loaded: the caches follow Redis and the fleet's limits apply. */
  get up(): boolean {
    return this.synced && this.link.connected && !this.closed;
  }

  health(): StoreHealth {
    let tags = 0;
    for (const s of this.pendingTags.values()) tags += s.size;
    return { up: this.up, pendingWrites: this.journal.size + tags, lastError: this.lastError ?? this.link.lastError };
  }

  stats(): RedisStoreStats {
    return { roundTrips: this.link.roundTrips, reloads: this.reloads, changesApplied: this.changesApplied };
  }

  /** Idempotent: a second call (main's stop and a failed start, say) waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.limits.close();
    if (this.up) {
      // Each request is bounded by the command timeout; when Redis is down none is made.
      await this.flushTouched().catch(() => undefined);
      await this.limits.giveBackAll().catch(() => undefined);
      await this.saveCache();
    }
    await this.saving;
    this.closed = true;
    this.link.close();
    await this.syncing?.catch(() => undefined);
    await this.flushingJournal?.catch(() => undefined);
    await this.journal.close();
  }

  /**
   * One write of the shared state, announced to every relay: its result array from WRITE_SCRIPT. A write that
   * changed something is in this relay's cache when this resolves (read-your-writes).
   * Throws StoreUnavailableError (naming `what`) when Redis is down or does not answer.
   */
  async write(what: string, key: string, op: 'hset' | 'hsetnx' | 'hdel' | 'sadd', operands: string[], change: Change, index?: { key: string; member: string }): Promise<unknown[]> {
    if (!this.up) throw new StoreUnavailableError(what, this.link.lastError ?? 'not connected');
    let reply: unknown[];
    try {
      reply = await this.runWrite(key, op, operands, change, index);
    } catch (e) {
      this.noteError(e as Error);
      throw new StoreUnavailableError(what, (e as Error).message);
    }
    // The reply and the change message come on two connections, in either order. When the message came first, the
    // cache already holds this change and maybe later ones over the same record: applying it again would put the
    // older value back, for good (the versions agree, so the version check would never reload). A reply without a
    // version (an older build's script) is applied as before.
    if (reply[0] === 1 && !(Number(reply[1]) <= this.cache.version)) this.cache.apply(change);
    return reply;
  }

  /** Runs WRITE_SCRIPT: the write, the version and the change message, atomically; its result array. */
  private async runWrite(key: string, op: 'hset' | 'hsetnx' | 'hdel' | 'sadd', operands: string[], change: Change, index?: { key: string; member: string }): Promise<unknown[]> {
    const reply = await this.link.run(WRITE_SCRIPT, [key, this.keys.version, index?.key ?? key], [op, this.keys.channel, JSON.stringify(change), index?.member ?? '', ...operands]);
    if (!Array.isArray(reply)) throw new Error(`unexpected reply of the write script: ${JSON.stringify(reply)}`);
    return reply as unknown[];
  }

  /** Queues a suppression write for when Redis returns (durable when the promise resolves). */
  async queue(w: PendingWrite): Promise<void> {
    await this.journal.append(w);
    if (this.up) this.kickJournal();
  }

  /** Writes a new tag now, or when Redis returns. */
  writeTag(account: string, tag: string): void {
    const pending = (): void => {
      let s = this.pendingTags.get(account);
      if (!s) this.pendingTags.set(account, (s = new Set()));
      s.add(tag);
    };
    if (!this.up) return pending();
    this.write(`tag ${tag}`, this.keys.tags(account), 'sadd', [tag], { k: 'tag', account, tag }, { key: this.keys.tagAccounts, member: account }).catch(pending);
  }

  noteError(e: Error): void {
    this.lastError = e.message;
    this.link.failed(e);
  }

  private sizes(): Record<string, number> {
    let suppressions = 0;
    for (const m of this.cache.suppressions.values()) suppressions += m.size;
    return {
      apiKeys: this.cache.credentials.apiKeys.size,
      accountTokens: this.cache.credentials.accountTokens.size,
      templates: this.cache.templates.size,
      webhooks: this.cache.webhooks.size,
      suppressions,
      tagAccounts: this.cache.tags.size,
    };
  }

  // ---- following Redis ----

  private wentDown(reason: string): void {
    this.synced = false;
    this.lastError = reason;
    if (this.closed || this.outageLogged) return;
    this.outageLogged = true;
    this.logger.warn({ err: reason }, 'redis store down: serving from the caches, rate limits per relay, suppressions journaled until it returns');
  }

  /** Flushes what waited, reloads the cache, and goes up; one at a time (a request meanwhile runs once after). */
  synchronize(reason: string): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    const run = async (): Promise<void> => {
      do {
        this.syncAgain = false;
        this.synced = false;
        this.buffer = [];
        try {
          await this.link.subscribe();
          const written = this.journal.size;
          await this.flushJournal();
          await this.flushTags();
          await this.reload();
          if (!this.link.connected || this.closed) return;
          this.synced = true;
          this.syncFailures = 0;
          void this.saveCache();
          if (this.outageLogged) {
            this.outageLogged = false;
            this.lastError = null;
            this.logger.info({ reason, written, version: this.cache.version }, 'redis store up: pending writes written, caches reloaded, fleet rate limits back');
          }
        } catch (e) {
          this.noteError(e as Error);
          this.logger.debug({ err: (e as Error).message }, 'redis store synchronization failed');
          if (!this.outageLogged) this.wentDown((e as Error).message);
          this.scheduleRetry();
        } finally {
          this.buffer = null;
        }
      } while (this.syncAgain && !this.closed);
    };
    this.syncing = run().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private scheduleRetry(): void {
    if (this.closed || this.closing || this.retryTimer || !this.link.connected) return;
    // Each retry flushes the journal and reads a whole snapshot: back off (1 s doubling to 30 s) while Redis keeps
    // answering with errors, so a broken Redis is not hammered by every relay of the fleet.
    const delay = Math.min(SYNC_RETRY_MAX_MS, SYNC_RETRY_MS * 2 ** Math.min(this.syncFailures, 5));
    this.syncFailures++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.link.connected && !this.up) void this.synchronize('retry');
    }, delay);
    this.retryTimer.unref();
  }

  /** Reads a consistent snapshot and swaps the cache, keeping what Redis does not have yet. */
  private async reload(): Promise<void> {
    const next = RedisCache.fromSnapshot(await this.readSnapshot());
    for (const w of this.journal.records()) applyPending(next, w);
    for (const [account, tags] of this.pendingTags) for (const t of tags) next.tagsOf(account).add(t);
    for (const kind of ['apiKeys', 'accountTokens'] as const) {
      for (const [id, time] of this.cache.credentials[kind].drainTouched()) next.credentials[kind].touch(id, time);
    }
    let missed = false;
    for (const vc of this.buffer ?? []) {
      if (vc.version <= next.version) continue;
      if (vc.version > next.version + 1) missed = true;
      next.apply(vc.change);
      next.version = vc.version;
    }
    if (next.skipped > 0) this.logger.warn({ skipped: next.skipped }, 'redis store: records this build cannot read were skipped');
    const webhooksMoved = !sameWebhooks(this.cache.webhooks, next.webhooks);
    this.cache = next;
    if (webhooksMoved) this.webhooks.changed();
    this.reloads++;
    // A gap in the buffered changes: one of them never reached this relay (as on the live path, see received()).
    // The cache's version is past it, so the version check would never catch it: reload again (after this one).
    if (missed) void this.synchronize('missed a change');
    for (const kind of ['apiKeys', 'accountTokens'] as const) {
      const orphans = next.orphanLastUsed[kind];
      if (orphans.length > 0) {
        this.link.roundTrips++;
        void this.link.commands.hdel(this.keys.lastUsed[kind], ...orphans).catch(() => undefined);
      }
    }
  }

  private async readSnapshot(): Promise<RedisSnapshot> {
    const k = this.keys;
    for (let attempt = 1; ; attempt++) {
      this.link.roundTrips++;
      const [supprAccounts, tagAccounts] = await Promise.all([this.link.commands.smembers(k.suppressionAccounts), this.link.commands.smembers(k.tagAccounts)]);
      this.link.roundTrips++;
      const m = this.link.commands.multi();
      m.get(k.version).smembers(k.suppressionAccounts).smembers(k.tagAccounts);
      m.hgetall(k.credentials.apiKeys).hgetall(k.credentials.accountTokens).hgetall(k.lastUsed.apiKeys).hgetall(k.lastUsed.accountTokens).hgetall(k.templates).hgetall(k.webhooks);
      for (const a of supprAccounts) m.hgetall(k.suppressions(a));
      for (const a of tagAccounts) m.smembers(k.tags(a));
      const replies = await m.exec();
      if (replies === null) throw new Error('the snapshot transaction was aborted');
      const values = replies.map(([err, v]) => {
        if (err) throw err;
        return v;
      });
      const [version, supprNow, tagsNow, keys, tokens, keysUsed, tokensUsed, templates, webhooks] = values as [string | null, string[], string[], ...Array<Record<string, string>>];
      if ((!sameMembers(supprNow, supprAccounts) || !sameMembers(tagsNow, tagAccounts)) && attempt < SNAPSHOT_TRIES) continue;
      const rest = values.slice(9);
      const suppressions = new Map<string, Record<string, string>>();
      supprAccounts.forEach((a, i) => suppressions.set(a, rest[i] as Record<string, string>));
      const tags = new Map<string, string[]>();
      tagAccounts.forEach((a, i) => tags.set(a, rest[supprAccounts.length + i] as string[]));
      return {
        version: Number(version ?? 0) || 0,
        credentials: { apiKeys: keys!, accountTokens: tokens! },
        lastUsed: { apiKeys: keysUsed!, accountTokens: tokensUsed! },
        templates: templates!,
        webhooks: webhooks!,
        suppressions,
        tags,
      };
    }
  }

  private received(text: string): void {
    const vc = parseChangeMessage(text);
    if (vc === null) {
      this.logger.debug({ message: text.slice(0, 200) }, 'redis store: unreadable change message ignored');
      return;
    }
    if (this.buffer !== null) {
      this.buffer.push(vc);
      return;
    }
    if (!this.synced || vc.version <= this.cache.version) return;
    const missed = vc.version > this.cache.version + 1;
    const webhookNews = vc.change.k === 'wh' && !this.webhooks.holds(vc.change);
    this.cache.apply(vc.change);
    this.cache.version = vc.version;
    this.changesApplied++;
    if (webhookNews) this.webhooks.changed();
    // A gap: some change never reached this relay (it cannot, on a live subscription; but a reload is cheap).
    if (missed) void this.synchronize('missed a change');
  }

  private async checkVersion(): Promise<void> {
    if (!this.up || this.syncing) return;
    this.link.roundTrips++;
    const v = Number((await this.link.commands.get(this.keys.version)) ?? 0) || 0;
    if (v !== this.cache.version && this.up && !this.syncing) {
      this.logger.info({ redis: v, cache: this.cache.version }, 'redis store: version differs from the cache, reloading');
      await this.synchronize('version check');
    }
  }

  // ---- the cache's copy on disk ----

  /** Writes the cache to disk when it holds a state not saved yet (after a save under way); never throws. */
  private async saveCache(): Promise<void> {
    while (this.saving) await this.saving;
    if (!this.up || this.cache.version === this.savedVersion) return;
    const version = this.cache.version;
    this.saving = writeFileDurably(this.savedPath, JSON.stringify(this.cache.toSaved()))
      .then(() => {
        this.savedVersion = version;
      })
      .catch((e: Error) => {
        this.logger.warn({ path: this.savedPath, err: e.message }, 'redis store: the copy of the cache could not be saved');
      })
      .finally(() => {
        this.saving = null;
      });
    return this.saving;
  }

  /** Starts from the saved copy (Redis unreachable at open); a description for the log, or null without one. */
  private async readSavedCache(): Promise<Record<string, unknown> | null> {
    let saved: SavedCache;
    try {
      saved = JSON.parse(await readFile(this.savedPath, 'utf8')) as SavedCache;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ path: this.savedPath, err: (e as Error).message }, 'redis store: the saved copy of the cache is unreadable; ignored');
      return null;
    }
    if (this.synced) return null; // Redis answered meanwhile: its state wins
    const cache = RedisCache.fromSaved(saved);
    for (const w of this.journal.records()) applyPending(cache, w);
    this.cache = cache;
    return { path: this.savedPath, version: cache.version, ...this.sizes() };
  }

  // ---- writes that waited ----

  private kickJournal(): void {
    if (this.flushingJournal || this.syncing) return;
    void this.flushJournal().catch((e: Error) => this.noteError(e));
  }

  /** Writes the journal in order; stops at the first failure (the rest waits for the next attempt). */
  private flushJournal(): Promise<void> {
    if (this.flushingJournal) return this.flushingJournal;
    const run = async (): Promise<void> => {
      while (this.journal.size > 0 && this.link.connected && !this.closed) {
        const batch = this.journal.records().slice(0, 100);
        let done = 0;
        try {
          for (const w of batch) {
            try {
              await this.writePending(w);
            } catch (e) {
              // Redis refused this one record (not a lost connection): it would block the rest for ever.
              if (!(e instanceof ReplyError)) throw e;
              this.logger.error({ write: w, err: (e as Error).message }, 'redis store: a queued suppression write was refused by Redis and dropped');
            }
            done++;
          }
        } finally {
          if (done > 0) await this.journal.dropFirst(done);
        }
      }
    };
    this.flushingJournal = run().finally(() => {
      this.flushingJournal = null;
    });
    return this.flushingJournal;
  }

  private async writePending(w: PendingWrite): Promise<void> {
    const k = this.keys;
    if (w.op === 'add') await this.runWrite(k.suppressions(w.account), 'hsetnx', [w.key, JSON.stringify(w.entry)], { k: 'sup', account: w.account, key: w.key, put: w.entry }, { key: k.suppressionAccounts, member: w.account });
    else await this.runWrite(k.suppressions(w.account), 'hdel', [w.key], { k: 'sup', account: w.account, key: w.key, del: true });
  }

  private async flushTags(): Promise<void> {
    for (const [account, tags] of [...this.pendingTags]) {
      for (const tag of [...tags]) {
        await this.runWrite(this.keys.tags(account), 'sadd', [tag], { k: 'tag', account, tag }, { key: this.keys.tagAccounts, member: account });
        tags.delete(tag);
      }
      if (tags.size === 0) this.pendingTags.delete(account);
    }
  }

  private async flushTouched(): Promise<void> {
    for (const kind of ['apiKeys', 'accountTokens'] as const) {
      const cache = this.cache.credentials[kind];
      const touched = cache.drainTouched();
      if (touched.length === 0) continue;
      const putBack = (): void => {
        for (const [id, time] of touched) this.cache.credentials[kind].touch(id, time);
      };
      if (!this.up) {
        putBack();
        continue;
      }
      const times = Object.fromEntries(touched);
      try {
        await this.write('last-used times', this.keys.lastUsed[kind], 'hset', touched.flatMap(([id, t]) => [id, String(t)]), { k: 'used', kind, times });
      } catch {
        putBack();
      }
    }
  }
}

function applyPending(cache: RedisCache, w: PendingWrite): void {
  if (w.op === 'add') cache.apply({ k: 'sup', account: w.account, key: w.key, put: w.entry });
  else cache.apply({ k: 'sup', account: w.account, key: w.key, del: true });
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

/** The URL without its password, for the log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

// ---- the interface's parts, reading the store's current cache ----

class RedisCredentials implements CredentialStore {
  constructor(private readonly store: RedisStore, private readonly kind: CredentialKind) {}

  private get cache() {
    return this.store.cache.credentials[this.kind];
  }

  async add(credential: StoredCredential): Promise<void> {
    const c = { ...credential };
    await this.store.write(`${this.label} ${c.id}`, this.store.keys.credentials[this.kind], 'hset', [c.id, JSON.stringify(c)], { k: 'cred', kind: this.kind, put: c });
  }

  list(account: string): StoredCredential[] {
    return this.cache.list(account);
  }

  async revoke(account: string, id: string): Promise<boolean> {
    const c = this.cache.get(id);
    if (!c || c.account !== account) return false;
    await this.store.write(`revocation of ${this.label} ${id}`, this.store.keys.credentials[this.kind], 'hdel', [id], { k: 'cred', kind: this.kind, del: id });
    return true;
  }

  find(hash: string, now: number): StoredCredential | null {
    return this.cache.find(hash, now);
  }

  touch(id: string, time: number): void {
    this.cache.touch(id, time);
  }

  private get label(): string {
    return this.kind === 'apiKeys' ? 'API key' : 'account token';
  }
}

class RedisTemplates implements TemplateStore {
  constructor(private readonly store: RedisStore) {}

  async put(template: StoredTemplate): Promise<void> {
    const t = { ...template };
    const key = templateKey(t.account, t.name);
    await this.store.write(`template ${t.name}`, this.store.keys.templates, 'hset', [key, JSON.stringify(t)], { k: 'tpl', put: t });
  }

  get(account: string, name: string): StoredTemplate | null {
    return this.store.cache.templates.get(templateKey(account, name)) ?? null;
  }

  list(account: string): StoredTemplate[] {
    const out: StoredTemplate[] = [];
    for (const t of this.store.cache.templates.values()) if (t.account === account) out.push(t);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(account: string, name: string): Promise<boolean> {
    const key = templateKey(account, name);
    if (!this.store.cache.templates.has(key)) return false;
    await this.store.write(`deletion of template ${name}`, this.store.keys.templates, 'hdel', [key], { k: 'tpl', del: key });
    return true;
  }
}

/**
 * Suppressions: the cache answers at once; a write goes to Redis, or (Redis down, a write failing, or older
 * writes still waiting, to keep their order) to the journal. Either way it is durable when the promise resolves.
 */
class RedisSuppressions implements SuppressionStore {
  constructor(private readonly store: RedisStore) {}

  has(account: string, address: string, tag: string | null = null): boolean {
    return this.get(account, address, tag) !== null;
  }

  get(account: string, address: string, tag: string | null = null): SuppressionEntry | null {
    const entries = this.store.cache.suppressions.get(account);
    if (!entries) return null;
    return entries.get(suppressionKey(address)) ?? (tag ? entries.get(entryKey(address, tag)) ?? null : null);
  }

  list(account: string): SuppressionEntry[] {
    return [...(this.store.cache.suppressions.get(account)?.values() ?? [])].sort((a, b) => a.time - b.time);
  }

  async add(account: string, address: string, reason: string, time: number = Date.now(), tag: string | null = null): Promise<boolean> {
    if (!isAccountId(account)) throw new SuppressionAccountError(account);
    const key = entryKey(address, tag);
    if (this.store.cache.suppressions.get(account)?.has(key)) return false;
    const entry: SuppressionEntry = { address, reason, time };
    if (tag) entry.tag = tag;
    this.store.cache.suppressionsOf(account).set(key, entry);
    if (this.store.up && this.store.journal.size === 0) {
      try {
        const k = this.store.keys;
        const reply = await this.store.write(`suppression of ${address}`, k.suppressions(account), 'hsetnx', [key, JSON.stringify(entry)], { k: 'sup', account, key, put: entry }, { key: k.suppressionAccounts, member: account });
        if (reply[0] === 1) return true;
        // Another relay listed it first (this cache had not heard yet): its entry stays, here too. As in write(), only
        // while the cache has not reached the reply's version: when the channel came first, the cache holds that
        // entry already, maybe removed since, and setting it again would bring it back for good. A reply without a
        // version (an older build's script) is applied as before.
        const first = parseEntry(reply[1]);
        if (first && !(Number(reply[2]) <= this.store.cache.version)) this.store.cache.suppressionsOf(account).set(key, first);
        return false;
      } catch {
        // journaled below
      }
    }
    await this.store.queue({ op: 'add', account, key, entry });
    // A reload may have replaced the cache meanwhile.
    this.store.cache.suppressionsOf(account).set(key, entry);
    return true;
  }

  async remove(account: string, address: string, _time: number = Date.now(), tag: string | null = null): Promise<boolean> {
    const key = entryKey(address, tag);
    const entries = this.store.cache.suppressions.get(account);
    if (!entries?.has(key)) return false;
    entries.delete(key);
    if (this.store.up && this.store.journal.size === 0) {
      try {
        await this.store.write(`removal of ${address}`, this.store.keys.suppressions(account), 'hdel', [key], { k: 'sup', account, key, del: true });
        return true;
      } catch {
        // journaled below
      }
    }
    await this.store.queue({ op: 'remove', account, key });
    this.store.cache.suppressions.get(account)?.delete(key);
    return true;
  }
}

function parseEntry(json: unknown): SuppressionEntry | null {
  if (typeof json !== 'string') return null;
  try {
    const v: unknown = JSON.parse(json);
    return isSuppressionEntry(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * The tag registry, decided from the cache so `admit` stays synchronous; a new tag is written afterwards.
 * Two relays admitting different new tags within the propagation delay (under a second) can together take
 * an account a few tags past `max`; the bound is for the stats' cardinality, which a few more do not hurt.
 */
class RedisTags implements TagStore {
  constructor(private readonly store: RedisStore) {}

  admit(account: string, tag: string, max: number): void {
    const tags = this.store.cache.tagsOf(account);
    if (tags.has(tag) || tag === UNTAGGED) return;
    if (tags.size >= max) throw new SmtpError(554, '5.6.0', `This account already uses ${max} distinct tags; reuse one of them`);
    tags.add(tag);
    this.store.writeTag(account, tag);
  }

  count(account: string): number {
    return this.store.cache.tags.get(account)?.size ?? 0;
  }
}
