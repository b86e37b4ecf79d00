// What a relay of the fleet holds of the shared state, so that every read of the accept path is a map lookup:
// credentials, templates, webhook endpoints, suppressions, tags. Filled whole from a Redis snapshot (`fromSnapshot`) and kept
// current by the change messages (`apply`). No I/O here.
import type { SuppressionEntry } from '../storage/suppression-list.js';
import { CredentialCache, isStoredCredential } from './credential-cache.js';
import { isSuppressionEntry, type Change, type CredentialKind } from './redis-keys.js';
import type { StoredTemplate, StoredWebhook } from './store.js';
import { isStoredTemplate, templateKey } from './template-check.js';
import { isStoredWebhook, webhookKey } from './webhook-check.js';

/** The state as read in one MULTI: each hash as field -> value, each set as its members. */
export interface RedisSnapshot {
  version: number;
  credentials: Record<CredentialKind, Record<string, string>>;
  lastUsed: Record<CredentialKind, Record<string, string>>;
  templates: Record<string, string>;
  webhooks: Record<string, string>;
  suppressions: Map<string, Record<string, string>>;
  tags: Map<string, string[]>;
}

/** The saved form (toSaved): each record as its JSON text, as Redis holds it. */
export interface SavedCache {
  version: number;
  credentials: Record<CredentialKind, string[]>;
  templates: Record<string, string>;
  /** Absent in a copy saved before webhook endpoints were stored. */
  webhooks?: Record<string, string>;
  suppressions: Record<string, Record<string, string>>;
  tags: Record<string, string[]>;
}

export class RedisCache {
  readonly credentials: Record<CredentialKind, CredentialCache> = { apiKeys: new CredentialCache(), accountTokens: new CredentialCache() };
  readonly templates = new Map<string, StoredTemplate>();
  readonly webhooks = new Map<string, StoredWebhook>();
  readonly suppressions = new Map<string, Map<string, SuppressionEntry>>();
  readonly tags = new Map<string, Set<string>>();
  /** The version of the state this cache holds (the last change applied, or the snapshot's). */
  version = 0;
  /** Records Redis held that this build cannot read (skipped), for the log. */
  skipped = 0;

  /** Last-used times of revoked credentials (a batch raced the revocation), to clean up. */
  readonly orphanLastUsed: Record<CredentialKind, string[]> = { apiKeys: [], accountTokens: [] };

  /**
   * The cache as the relay keeps it on disk (`<data>/store/redis-cache.json`), to start from when Redis cannot
   * be reached at start: plain records; read back through `fromSnapshot`, so each is checked again.
   */
  toSaved(): SavedCache {
    const records = <T>(values: Iterable<T>): string[] => [...values].map((v) => JSON.stringify(v));
    const suppressions: Record<string, Record<string, string>> = {};
    for (const [account, entries] of this.suppressions) suppressions[account] = Object.fromEntries([...entries].map(([k, e]) => [k, JSON.stringify(e)]));
    const tags: Record<string, string[]> = {};
    for (const [account, set] of this.tags) tags[account] = [...set];
    return {
      version: this.version,
      credentials: { apiKeys: records(this.credentials.apiKeys.all()), accountTokens: records(this.credentials.accountTokens.all()) },
      templates: Object.fromEntries([...this.templates].map(([k, t]) => [k, JSON.stringify(t)])),
      webhooks: Object.fromEntries([...this.webhooks].map(([k, w]) => [k, JSON.stringify(w)])),
      suppressions,
      tags,
    };
  }

  static fromSaved(saved: SavedCache): RedisCache {
    const byId = (list: unknown): Record<string, string> => Object.fromEntries((Array.isArray(list) ? list : []).map((json, i) => [String(i), String(json)]));
    const object = <T>(v: unknown): Record<string, T> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, T>) : {});
    return RedisCache.fromSnapshot({
      version: Number(saved.version) || 0,
      credentials: { apiKeys: byId(saved.credentials?.apiKeys), accountTokens: byId(saved.credentials?.accountTokens) },
      lastUsed: { apiKeys: {}, accountTokens: {} },
      templates: object<string>(saved.templates),
      webhooks: object<string>(saved.webhooks),
      suppressions: new Map(Object.entries(object<Record<string, string>>(saved.suppressions)).map(([a, m]) => [a, object<string>(m)])),
      tags: new Map(Object.entries(object<string[]>(saved.tags)).map(([a, t]) => [a, Array.isArray(t) ? t.filter((x) => typeof x === 'string') : []])),
    });
  }

  static fromSnapshot(s: RedisSnapshot): RedisCache {
    const c = new RedisCache();
    c.version = s.version;
    for (const kind of ['apiKeys', 'accountTokens'] as const) {
      const cache = c.credentials[kind];
      for (const json of Object.values(s.credentials[kind])) {
        const v = c.parse(json, isStoredCredential);
        if (v) cache.set(v);
      }
      for (const [id, time] of Object.entries(s.lastUsed[kind])) {
        const cred = cache.get(id);
        if (!cred) c.orphanLastUsed[kind].push(id);
        else if (Number.isFinite(Number(time))) cred.lastUsedAt = Math.max(cred.lastUsedAt ?? 0, Number(time));
      }
    }
    for (const [key, json] of Object.entries(s.templates)) {
      const t = c.parse(json, isStoredTemplate);
      if (t) c.templates.set(key, t);
    }
    for (const json of Object.values(s.webhooks)) {
      const w = c.parse(json, isStoredWebhook);
      if (w) c.webhooks.set(webhookKey(w.account, w.id), w);
    }
    for (const [account, fields] of s.suppressions) {
      const entries = new Map<string, SuppressionEntry>();
      for (const [key, json] of Object.entries(fields)) {
        const e = c.parse(json, isSuppressionEntry);
        if (e) entries.set(key, e);
      }
      if (entries.size > 0) c.suppressions.set(account, entries);
    }
    for (const [account, tags] of s.tags) c.tags.set(account, new Set(tags));
    return c;
  }

  apply(change: Change): void {
    switch (change.k) {
      case 'cred':
        if ('put' in change) this.credentials[change.kind].set({ ...change.put });
        else this.credentials[change.kind].delete(change.del);
        return;
      case 'used':
        for (const [id, time] of Object.entries(change.times)) {
          const c = this.credentials[change.kind].get(id);
          if (c && typeof time === 'number') c.lastUsedAt = Math.max(c.lastUsedAt ?? 0, time);
        }
        return;
      case 'tpl':
        if ('put' in change) this.templates.set(templateKey(change.put.account, change.put.name), change.put);
        else this.templates.delete(change.del);
        return;
      case 'wh':
        if ('put' in change) this.webhooks.set(webhookKey(change.put.account, change.put.id), change.put);
        else this.webhooks.delete(change.del);
        return;
      case 'sup':
        if ('put' in change) this.suppressionsOf(change.account).set(change.key, change.put);
        else this.suppressions.get(change.account)?.delete(change.key);
        return;
      case 'tag':
        this.tagsOf(change.account).add(change.tag);
        return;
    }
  }

  suppressionsOf(account: string): Map<string, SuppressionEntry> {
    let m = this.suppressions.get(account);
    if (!m) {
      m = new Map();
      this.suppressions.set(account, m);
    }
    return m;
  }

  tagsOf(account: string): Set<string> {
    let s = this.tags.get(account);
    if (!s) {
      s = new Set();
      this.tags.set(account, s);
    }
    return s;
  }

  private parse<T>(json: string, is: (v: unknown) => v is T): T | null {
    try {
      const v: unknown = JSON.parse(json);
      if (is(v)) return v;
    } catch {
      // counted below
    }
    this.skipped++;
    return null;
  }
}
