// The Redis store's layout: every key and the change channel under the configured prefix, and the change
// messages relays publish on that channel.
//
//   <p>apikeys, <p>tokens            hash  credential id -> StoredCredential JSON
//   <p>apikeys:used, <p>tokens:used  hash  credential id -> last use (ms); apart, so a late batch of last-used
//                                          times can never write a revoked credential back
//   <p>templates                     hash  account NUL name -> StoredTemplate JSON
//   <p>webhooks                      hash  account NUL id -> StoredWebhook JSON (with its secret: it signs)
//   <p>suppr                         set   accounts that have a suppression hash
//   <p>suppr:<account>               hash  entry key (suppression-list.ts entryKey) -> SuppressionEntry JSON
//   <p>tags                          set   accounts that have a tag set
//   <p>tags:<account>                set   the account's tags
//   <p>version                       int   incremented by every write of the state above
//   <p>rate:<account>                hash  token bucket { tokens, at (ms, Redis TIME) }; expires once full again
//   <p>quota:<account>               int   messages reserved today (UTC); expires at the end of the day
//   <p>changes                       channel  "<version> <change JSON>" after every write, in version order
import type { SuppressionEntry } from '../storage/suppression-list.js';
import { isStoredCredential } from './credential-cache.js';
import type { StoredCredential, StoredTemplate, StoredWebhook } from './store.js';
import { isStoredTemplate } from './template-check.js';
import { isStoredWebhook } from './webhook-check.js';

export type CredentialKind = 'apiKeys' | 'accountTokens';

export interface RedisKeys {
  credentials: Record<CredentialKind, string>;
  lastUsed: Record<CredentialKind, string>;
  templates: string;
  webhooks: string;
  suppressionAccounts: string;
  suppressions(account: string): string;
  tagAccounts: string;
  tags(account: string): string;
  version: string;
  rate(account: string): string;
  quota(account: string): string;
  channel: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    credentials: { apiKeys: `${prefix}apikeys`, accountTokens: `${prefix}tokens` },
    lastUsed: { apiKeys: `${prefix}apikeys:used`, accountTokens: `${prefix}tokens:used` },
    templates: `${prefix}templates`,
    webhooks: `${prefix}webhooks`,
    suppressionAccounts: `${prefix}suppr`,
    suppressions: (account) => `${prefix}suppr:${account}`,
    tagAccounts: `${prefix}tags`,
    tags: (account) => `${prefix}tags:${account}`,
    version: `${prefix}version`,
    rate: (account) => `${prefix}rate:${account}`,
    quota: (account) => `${prefix}quota:${account}`,
    channel: `${prefix}changes`,
  };
}

/** One write, as announced to every relay: enough to apply it to a cache without asking Redis. */
export type Change =
  | { k: 'cred'; kind: CredentialKind; put: StoredCredential }
  | { k: 'cred'; kind: CredentialKind; del: string }
  | { k: 'used'; kind: CredentialKind; times: Record<string, number> }
  | { k: 'tpl'; put: StoredTemplate }
  | { k: 'tpl'; del: string }
  | { k: 'wh'; put: StoredWebhook }
  | { k: 'wh'; del: string }
  | { k: 'sup'; account: string; key: string; put: SuppressionEntry }
  | { k: 'sup'; account: string; key: string; del: true }
  | { k: 'tag'; account: string; tag: string };

export interface VersionedChange {
  version: number;
  change: Change;
}

/** A message of the change channel, or null for anything malformed (another build, a stray PUBLISH). */
export function parseChangeMessage(message: string): VersionedChange | null {
  const space = message.indexOf(' ');
  if (space < 1) return null;
  const version = Number(message.slice(0, space));
  if (!Number.isSafeInteger(version) || version < 1) return null;
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(message.slice(space + 1)) as Record<string, unknown>;
  } catch {
    return null;
  }
  return isChange(c) ? { version, change: c } : null;
}

const isKind = (v: unknown): v is CredentialKind => v === 'apiKeys' || v === 'accountTokens';

function isChange(c: Record<string, unknown> | null): c is Change {
  if (typeof c !== 'object' || c === null) return false;
  switch (c['k']) {
    case 'cred':
      return isKind(c['kind']) && (isStoredCredential(c['put']) || typeof c['del'] === 'string');
    case 'used':
      return isKind(c['kind']) && typeof c['times'] === 'object' && c['times'] !== null;
    case 'tpl':
      return isStoredTemplate(c['put']) || typeof c['del'] === 'string';
    case 'wh':
      return isStoredWebhook(c['put']) || typeof c['del'] === 'string';
    case 'sup':
      return typeof c['account'] === 'string' && typeof c['key'] === 'string' && (isSuppressionEntry(c['put']) || c['del'] === true);
    case 'tag':
      return typeof c['account'] === 'string' && typeof c['tag'] === 'string';
    default:
      return false;
  }
}

/** A suppression entry read back from Redis or a change message. */
export function isSuppressionEntry(v: unknown): v is SuppressionEntry {
  const e = v as SuppressionEntry;
  return (
    typeof e === 'object' && e !== null &&
    typeof e.address === 'string' && typeof e.reason === 'string' && typeof e.time === 'number' &&
    (e.tag === undefined || typeof e.tag === 'string')
  );
}
