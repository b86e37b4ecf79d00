// What every management endpoint shares: its dependencies, reading JSON body fields (each refusal names the field),
// the account of the path, and writes to the runtime store (refused with 503 while the store is down).
import type { ServerResponse } from 'node:http';
import type { AccountConfig, RelayConfig } from '../config/index.js';
import { StoreUnavailableError, type RuntimeStore } from '../store/store.js';
import { AdminRequestError, parseTime } from './query.js';

export interface ManagementDeps {
  /** Null on an admin server without a runtime store: every management route answers 503. */
  store: RuntimeStore | null;
  /** The running configuration (read at each request, so a reload shows at once). */
  config(): RelayConfig;
  now(): number;
  /** JSON bodies past this are refused with 413. */
  maxBodyBytes: number;
}

export const NAME = { pattern: /^[A-Za-z0-9._-]{1,64}$/, describe: '1 to 64 of A-Z a-z 0-9 . _ -' };
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface StringField {
  required?: boolean;
  /** In characters; default 1000. */
  maxLength?: number;
  pattern?: RegExp;
  describe?: string;
  /** Refuse CR, LF and other control characters (a header value, a label). */
  singleLine?: boolean;
}

/** Reads the fields of one JSON object body; unknown fields are refused up front. */
export class BodyReader {
  constructor(
    private readonly body: Record<string, unknown>,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(body)) {
      if (!allowed.includes(key)) throw AdminRequestError.badParameter(key, `unknown field (expected ${allowed.join(', ')})`);
    }
  }

  has(name: string): boolean {
    return Object.hasOwn(this.body, name) && this.body[name] !== null && this.body[name] !== undefined;
  }

  raw(name: string): unknown {
    return Object.hasOwn(this.body, name) ? this.body[name] : undefined;
  }

  /** A string field; absent or null is null (or a 400 when required). */
  string(name: string, o: StringField = {}): string | null {
    const v = this.raw(name);
    if (v === undefined || v === null) {
      if (o.required) throw AdminRequestError.badParameter(name, 'is required');
      return null;
    }
    if (typeof v !== 'string') throw AdminRequestError.badParameter(name, `must be a string, got ${typeName(v)}`);
    if (o.required && v === '') throw AdminRequestError.badParameter(name, 'must not be empty');
    const max = o.maxLength ?? 1000;
    if (v.length > max) throw AdminRequestError.badParameter(name, `is longer than ${max} characters`);
    if (o.singleLine && CONTROL.test(v)) throw AdminRequestError.badParameter(name, 'must be a single line without control characters');
    if (o.pattern && !o.pattern.test(v)) throw AdminRequestError.badParameter(name, `must be ${o.describe ?? `of the form ${o.pattern.source}`}`);
    return v;
  }

  /** A time: ms since the epoch (a JSON number or digits) or ISO 8601 with Z or an offset; absent or null is null. */
  time(name: string): number | null {
    const v = this.raw(name);
    if (v === undefined || v === null) return null;
    let t: number | null = null;
    if (typeof v === 'number') t = Number.isSafeInteger(v) && v >= 0 ? v : null;
    else if (typeof v === 'string' && v.length <= 40) t = parseTime(v);
    if (t === null) throw AdminRequestError.badParameter(name, 'must be ms since the epoch or an ISO 8601 time (2026-01-31T12:00:00Z)');
    return t;
  }
}

export function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export function isoOrNull(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

/** The store, or 503 on an admin server built without one. */
export function storeOf(d: ManagementDeps): RuntimeStore {
  if (d.store === null) throw new AdminRequestError(503, 'store unavailable', null, 'this admin server has no runtime store (the management API needs the relay)');
  return d.store;
}

/** The configured account of the path's `{id}`, or a 404 naming it. */
export function accountOf(d: ManagementDeps, id: string | undefined): AccountConfig {
  storeOf(d); // without a store, nothing here can answer: 503 before anything else
  const account = id === undefined ? undefined : d.config().accounts.find((a) => a.id === id);
  if (account === undefined) throw new AdminRequestError(404, 'not found', 'id', `no account ${JSON.stringify(id ?? '')} in the configuration`);
  return account;
}

/**
 * Runs a write to the runtime store; a write the store cannot make is a 503 naming what was not done. The store
 * decides what it can take while its shared service is down: the Redis store refuses keys, tokens, templates and
 * webhook endpoints at once (StoreUnavailableError: the caller learns the change is not made), and journals
 * suppressions locally to write them when Redis is back (an unsubscribe or a complaint must hold through an outage).
 */
export async function writeToStore<T>(d: ManagementDeps, what: string, write: (store: RuntimeStore) => Promise<T>): Promise<T> {
  const store = storeOf(d);
  try {
    return await write(store);
  } catch (e) {
    if (e instanceof AdminRequestError) throw e;
    if (e instanceof StoreUnavailableError) {
      const lastError = store.health().lastError;
      throw new AdminRequestError(503, 'store unavailable', null, `the ${store.type} store cannot be reached${lastError ? ` (${lastError})` : ''}: ${what} is refused until it is back; reads are served from the cache`);
    }
    throw new AdminRequestError(503, 'store unavailable', null, `the ${store.type} store did not take the change (${(e as Error).message}): ${what} is not done; try again`);
  }
}

/** 204 No Content (no Content-Length or body, RFC 9110 §8.6), with the API's usual no-store headers. */
export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
  res.end();
}
