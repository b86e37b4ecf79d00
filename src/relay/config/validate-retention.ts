// `"retention": { "days": 7 }`, at the top level (every account) or in an account (its own): keep a copy of each
// composed message sent for that many days. Days 0 turns it off (an account can opt out of the relay's setting).
import type { FieldReader } from './field-reader.js';
import type { RetentionConfig } from './schema.js';

export const MAX_RETENTION_DAYS = 365;

/** The section as written: undefined when absent, null when off (days 0). */
export function readRetention(r: FieldReader): RetentionConfig | null | undefined {
  if (!r.has('retention')) return undefined;
  const rr = r.child('retention', ['days']);
  if (!rr) return undefined;
  if (!rr.has('days')) {
    rr.fail('days', `is required (1 to ${MAX_RETENTION_DAYS}, or 0 for off)`);
    return undefined;
  }
  const days = rr.int('days', 0, MAX_RETENTION_DAYS);
  return days === 0 ? null : { days };
}
