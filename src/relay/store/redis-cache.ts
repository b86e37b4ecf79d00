// What a relay of the fleet holds of the shared state, so that every read of the accept path is a map lookup:
// credentials, templates, suppressions, tags. Filled whole from a Redis snapshot (`fromSnapshot`) and kept
// current by the change messages (`apply`). No I/O here.
import type { SuppressionEntry } from '../storage/suppression-list.js';
import { CredentialCache, isStoredCredential } from './credential-cache.js';
import { isSuppressionEntry, type Change, type CredentialKind } from './redis-keys.js';
import type { StoredTemplate } from './store.js';
import { isStoredTemplate, templateKey } from './template-check.js';

/** The state as read in one MULTI: each hash as field -> value, each set as its members. */
export interface RedisSnapshot {
  version: number;
  credentials: Record<CredentialKind, Record<string, string>>;
  lastUsed: Record<CredentialKind, Record<string, string>>;
  templates: Record<string, string>;
  suppressions: Map<string, Record<string, string>>;
  tags: Map<string, string[]>;
}

export class RedisCache {
  readonly credentials: Record<CredentialKind, CredentialCache> = { apiKeys: new CredentialCache(), accountTokens: new CredentialCache() };
  readonly templates = new Map<string, StoredTemplate>();
  readonly suppressions = new Map<string, Map<string, SuppressionEntry>>();
  readonly tags = new Map<string, Set<string>>();
  /** The version of the state this cache holds (the last change applied, or the snapshot's). */
  version = 0;
  /** Records Redis held that this build cannot read (skipped), for the log. */
  skipped = 0;

  /** Last-used times of revoked credentials (a batch raced the revocation), to clean up. */
  readonly orphanLastUsed: Record<CredentialKind, string[]> = { apiKeys: [], accountTokens: [] };

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
