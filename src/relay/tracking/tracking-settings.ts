// Which tracking a message gets: the account's settings, then its tag's, then its template's, each field set at a
// higher level winning (template > tag > account); X-Transactional-Track can then only narrow what is left.
import type { TrackingConfig, TrackingOverride } from '../config/index.js';

export interface MessageTracking {
  opens: boolean;
  clicks: boolean;
  baseUrl: string;
}

/** What X-Transactional-Track asks for: none, opens, clicks or all (absent = all). */
export type TrackRequest = 'none' | 'opens' | 'clicks' | 'all';

const ASKED: Record<TrackRequest, { opens: boolean; clicks: boolean }> = {
  none: { opens: false, clicks: false },
  opens: { opens: true, clicks: false },
  clicks: { opens: false, clicks: true },
  all: { opens: true, clicks: true },
};

/** The header's value, or null when it is none of the four (the caller refuses the message naming the header). */
export function parseTrackRequest(header: string | null): TrackRequest | null {
  if (header === null) return 'all';
  const v = header.trim().toLowerCase();
  return Object.hasOwn(ASKED, v) ? (v as TrackRequest) : null;
}

/** The tracking of one message; null = untracked (nothing on, or no base URL at any level). */
export function resolveTracking(account: TrackingConfig | null, tag: string, template: TrackingOverride | null, asked: TrackRequest = 'all'): MessageTracking | null {
  const byTag = account !== null && Object.hasOwn(account.tags, tag) ? account.tags[tag]! : null;
  let opens = account?.opens ?? false;
  let clicks = account?.clicks ?? false;
  let baseUrl = account?.baseUrl || null;
  for (const level of [byTag, template]) {
    if (level === null) continue;
    opens = level.opens ?? opens;
    clicks = level.clicks ?? clicks;
    baseUrl = level.baseUrl ?? baseUrl;
  }
  opens &&= ASKED[asked].opens;
  clicks &&= ASKED[asked].clicks;
  return (opens || clicks) && baseUrl !== null ? { opens, clicks, baseUrl } : null;
}
