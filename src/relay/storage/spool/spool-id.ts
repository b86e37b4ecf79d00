// Queue ids ("queued as <id>") and the per-enqueue uids that tell records of a reused id apart.
import { randomBytes } from 'node:crypto';

export const SPOOL_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// A random prefix per process and a counter: unique across processes and restarts without a CSPRNG call per
// message (randomBytes per id cost ~15 µs of a ~100 µs accept path). Queue ids need not be unguessable.
const processPrefix = randomBytes(5).toString('hex');
let idCounter = 0;

/** A new queue id: time in base 36 (sortable), a per-process random prefix, a counter; 25-31 characters. */
export function createSpoolId(now: number = Date.now()): string {
  idCounter = (idCounter + 1) % 0x7fffffff;
  return now.toString(36).padStart(9, '0') + processPrefix + idCounter.toString(36).padStart(6, '0');
}

let uidCounter = 0;

/** Distinguishes records of one id written by different processes or at different times (see compaction). */
export function newUid(): string {
  uidCounter = (uidCounter + 1) % 0x7fffffff;
  return processPrefix + uidCounter.toString(36) + Date.now().toString(36);
}
