// A real relay with the HTTP send API on an ephemeral loopback port, and a Node fetch client for it.
import { after, before } from 'node:test';
import { KEY_A, removeDir, startTestRelay, type ConfigPatch, type TestRelay } from '../relay/relay-harness.js';

export interface ApiRelay extends TestRelay {
  /** http://127.0.0.1:<port> of the HTTP send API. */
  url: string;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON answer (tests read its fields directly). */
  json: any;
}

/** Starts a relay whose configuration has `httpApi` on 127.0.0.1, port 0 (plus the patch's own changes). */
export async function startApiRelay(patch?: ConfigPatch, existingDir?: string, httpApi: Record<string, unknown> = {}): Promise<ApiRelay> {
  const t = await startTestRelay((json, dir) => {
    json['httpApi'] = { port: 0, host: '127.0.0.1', ...httpApi };
    patch?.(json, dir);
  }, existingDir);
  const address = t.relay.httpApi;
  if (address === null) throw new Error('the HTTP send API did not start');
  return { ...t, url: `http://127.0.0.1:${address.port}` };
}

/** For a describe block: a relay with the HTTP API before its tests, stopped and removed after them. */
export function apiRelayPerSuite(use: (relay: ApiRelay) => void, patch?: ConfigPatch): void {
  let t: ApiRelay | null = null;
  before(async () => {
    t = await startApiRelay(patch);
    use(t);
  });
  after(async () => {
    if (t === null) return;
    await t.stop();
    await removeDir(t.dir);
  });
}

/**
 * POSTs with Node's fetch: `body` is JSON-encoded unless it is a string (sent as is); the key goes in
 * `Authorization: Bearer` unless `key` is null or the headers carry their own. Never throws on an HTTP status.
 */
export async function post(url: string, body: unknown, options: { key?: string | null; headers?: Record<string, string>; method?: string } = {}): Promise<ApiAnswer> {
  const key = options.key === undefined ? KEY_A : options.key;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key !== null ? { authorization: `Bearer ${key}` } : {}), ...options.headers };
  const res = await fetch(url, { method: options.method ?? 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** A minimal valid message with these changes. */
export function message(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { from: 'Shop <shop@example.com>', to: [{ email: 'x@example.net' }], subject: 'hello', html: '<p>hi</p>', ...fields };
}
