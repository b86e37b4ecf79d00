// What survives a restart of one endpoint, in <data>/webhooks/<account>/<id>.json, written with the durable-file
// helper: the cursor (the first event of the log not yet acknowledged), whether it is disabled and why, and since
// when it fails. The cursor is saved a moment after it moves, so a kill -9 re-sends at most that moment's events.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import stringify from 'fast-json-stable-stringify';
import type { EventPosition } from '../storage/event-log.js';
import { writeFileDurably } from '../storage/durable-file.js';

export interface EndpointState {
  cursor: EventPosition;
  /** Null while the endpoint is enabled. */
  disabled: { reason: string; at: number } | null;
  /** Time of the first failure since the last success; null when the last request succeeded. */
  failingSince: number | null;
}

export function endpointStatePath(dir: string, account: string, id: string): string {
  return join(dir, account, `${id}.json`);
}

/** The saved state, or null when there is none (a new endpoint) or it cannot be read. */
export async function loadEndpointState(path: string): Promise<EndpointState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<EndpointState>;
    const c = v.cursor;
    if (!c || !Number.isInteger(c.seq) || !Number.isInteger(c.offset)) return null;
    return { cursor: { seq: c.seq, offset: c.offset }, disabled: v.disabled ?? null, failingSince: v.failingSince ?? null };
  } catch {
    return null;
  }
}

export async function saveEndpointState(path: string, state: EndpointState): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileDurably(path, stringify(state) + '\n');
}
