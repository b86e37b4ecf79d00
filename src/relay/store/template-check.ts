// A record read back from a file or Redis is a stored template (anything else is skipped).
import type { StoredTemplate } from './store.js';

const nullableString = (v: unknown): boolean => v === null || typeof v === 'string';

export function isStoredTemplate(v: unknown): v is StoredTemplate {
  const t = v as StoredTemplate;
  return (
    typeof t === 'object' && t !== null &&
    typeof t.account === 'string' && typeof t.name === 'string' && typeof t.html === 'string' &&
    nullableString(t.subject) && nullableString(t.from) && nullableString(t.replyTo) && nullableString(t.tag) &&
    typeof t.updatedAt === 'number' && typeof t.revision === 'string' && isTrackingOverride(t.tracking)
  );
}

/** Absent (records written before templates had it), null, or { opens, clicks, baseUrl } each null or typed. */
function isTrackingOverride(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  const o = v as Record<string, unknown>;
  return typeof o === 'object' && (o['opens'] === null || typeof o['opens'] === 'boolean') && (o['clicks'] === null || typeof o['clicks'] === 'boolean') && nullableString(o['baseUrl']);
}

/** The key of a template in a store: account and name (NUL is in neither). */
export function templateKey(account: string, name: string): string {
  return `${account}\u0000${name}`;
}
