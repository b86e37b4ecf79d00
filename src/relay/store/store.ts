// The runtime store: state that changes while the relay runs and that every relay of a fleet must share.
//
// Operator state (listeners, limits, accounts with their routes and limits) stays in the configuration file,
// kept in git and reloaded with SIGHUP. Runtime state goes through this interface:
//   - API keys and account-scoped admin tokens created through the management API (added to the file's keys),
//   - templates created through the API (beside the file's),
//   - suppressions,
//   - webhook endpoints created through the API (beside the file's),
//   - rate and daily-quota counters,
//   - the tag registry.
//
// Two implementations: `LocalStore` (durable files in the data folder; one relay) and `RedisStore` (one Redis
// shared by a fleet). The accept path reads through caches only: every read below is synchronous and makes no
// network round trip. Writes are asynchronous and resolve when durable (fsync, or Redis acknowledged; with Redis
// down, queued in a local journal and written when it returns).
import type { RateConfig, TrackingOverride } from '../config/index.js';
import type { SuppressionEntry } from '../storage/suppression-list.js';

export type { SuppressionEntry };

/** Gives back what a `take` took (the message was refused after all, e.g. spool full). */
export type Release = () => void;

/**
 * A secret a client presents, kept as its hash only: an API key (SMTP AUTH password, X-Auth-APIKey, HTTP API
 * bearer) or an account-scoped admin token.
 */
export interface StoredCredential {
  /** Public id, used to list and revoke: "key_..." or "tok_..." (never the secret). */
  id: string;
  account: string;
  /** "sha256:" + 64 hex digits of the secret (the same form the configuration's apiKeys use). */
  hash: string;
  label: string | null;
  /** ms since the epoch. */
  createdAt: number;
  /** ms since the epoch; null = never expires. A credential past it is not found. */
  expiresAt: number | null;
  /** ms since the epoch of the last successful use; null = never used. Written in batches, so it lags. */
  lastUsedAt: number | null;
}

export interface CredentialStore {
  /** Adds a credential (its id and hash new); durable when the promise resolves. */
  add(credential: StoredCredential): Promise<void>;
  /** The account's credentials, oldest first, from the cache. */
  list(account: string): StoredCredential[];
  /** Revokes one; false when the account has no credential with this id. Every relay stops accepting it within a second. */
  revoke(account: string, id: string): Promise<boolean>;
  /** The unexpired credential with this hash ("sha256:<hex>"), from the cache; `now` decides expiry. */
  find(hash: string, now: number): StoredCredential | null;
  /** Records a successful use at `time`; written in batches (never on the accept path). */
  touch(id: string, time: number): void;
}

/** A template created through the API. The configuration file's templates win over a stored one of the same name. */
export interface StoredTemplate {
  account: string;
  name: string;
  html: string;
  subject: string | null;
  from: string | null;
  replyTo: string | null;
  tag: string | null;
  /** Open and click tracking of messages using it, field by field over the tag's and the account's; absent or null = theirs. */
  tracking?: TrackingOverride | null;
  /** ms since the epoch. */
  updatedAt: number;
  /** Changes on every put (random): compiled templates are cached by it. */
  revision: string;
}

export interface TemplateStore {
  /** Creates or replaces; durable when the promise resolves. */
  put(template: StoredTemplate): Promise<void>;
  get(account: string, name: string): StoredTemplate | null;
  /** The account's templates, by name. */
  list(account: string): StoredTemplate[];
  delete(account: string, name: string): Promise<boolean>;
}

/**
 * A webhook endpoint created through the API (docs/admin-api.md "Webhook endpoints"). The configuration file's
 * endpoint of the same id wins. The secret is kept as given: the relay needs it to sign every request.
 */
export interface StoredWebhook {
  account: string;
  id: string;
  url: string;
  events: string[];
  /** "whsec_" + base64. */
  secret: string;
  timeoutMs: number;
  maxInFlight: number;
  disableAfterMs: number;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
  /** Changes on every put (random), so a relay can tell a changed endpoint from one it already runs. */
  revision: string;
}

export interface WebhookEndpointStore {
  /** Creates or replaces; durable when the promise resolves. */
  put(webhook: StoredWebhook): Promise<void>;
  get(account: string, id: string): StoredWebhook | null;
  /** The account's endpoints, by id. */
  list(account: string): StoredWebhook[];
  /** Every account's endpoints (what the dispatcher runs). */
  all(): StoredWebhook[];
  delete(account: string, id: string): Promise<boolean>;
  /**
   * Calls `listener` after the stored endpoints changed: a write here, one from another relay (within a second), or a
   * reload of the cache that changed them. Returns the function that stops the calls. Listeners must not throw.
   */
  onChange(listener: () => void): () => void;
}

/**
 * Per-account suppressions (hard bounces, complaints, unsubscribes, the operator's). Addresses compare with the
 * domain case-insensitive and the local part exact; an entry is account-wide or (with `tag`) for one tag.
 */
export interface SuppressionStore {
  has(account: string, address: string, tag?: string | null): boolean;
  /** The entry that suppresses a message to the address (with `tag`): the account-wide one first; or null. */
  get(account: string, address: string, tag?: string | null): SuppressionEntry | null;
  /** The account's entries, oldest first. */
  list(account: string): SuppressionEntry[];
  /** True when added, false when already listed in that scope (the first entry stays). */
  add(account: string, address: string, reason: string, time?: number, tag?: string | null): Promise<boolean>;
  remove(account: string, address: string, time?: number, tag?: string | null): Promise<boolean>;
}

/** Per-account sending rate (token bucket) and daily quota (UTC day), counted in outbound messages (recipients). */
export interface LimitStore {
  /**
   * Takes `count` sends from the account's budget or refuses them all: throws an SmtpError 451 4.7.1.
   * Synchronous in the common case (a local reservation); a Promise when the fleet's counter must be asked.
   */
  take(account: string, rate: RateConfig, count: number): Release | Promise<Release>;
}

/** The distinct tags each account has used, bounded (SPEC §3) so stats keep a bounded cardinality. */
export interface TagStore {
  /** Admits the tag for the account, or throws an SmtpError 554 5.6.0 for a new tag past `max`. */
  admit(account: string, tag: string, max: number): void;
  count(account: string): number;
}

export interface StoreHealth {
  /** False while the backing service cannot be reached (always true for the local store). */
  up: boolean;
  /** Writes made while down, waiting to be written. */
  pendingWrites: number;
  /** The last connection or write error, for /readyz and the logs. */
  lastError: string | null;
}

export interface RuntimeStore {
  readonly type: 'local' | 'redis';
  readonly apiKeys: CredentialStore;
  readonly accountTokens: CredentialStore;
  readonly templates: TemplateStore;
  readonly suppressions: SuppressionStore;
  readonly webhooks: WebhookEndpointStore;
  readonly limits: LimitStore;
  readonly tags: TagStore;
  health(): StoreHealth;
  /** Flushes batched writes and closes files or connections. */
  close(): Promise<void>;
}

/**
 * A write the store cannot make now (the Redis store while Redis is down: API keys and templates are not
 * queued, since the caller is there to be told). The management API answers it with 503.
 */
export class StoreUnavailableError extends Error {
  constructor(what: string, reason: string) {
    super(`${what} cannot be saved now: the shared store is unavailable (${reason}); try again later`);
    this.name = 'StoreUnavailableError';
  }
}
