// A real relay (startRelay, local store) with its admin server on a loopback port, and a real upstream (smtp-server)
// that account "a" delivers to; plus small HTTP helpers that return status, headers and the parsed body.
import assert from 'node:assert/strict';
import { removeDir, startTestRelay, startUpstream, type ConfigPatch, type TestRelay, type TestUpstream } from '../relay/relay-harness.js';
import { TOKEN } from './fixture.js';

export { TOKEN };

export interface ManagementRelay {
  t: TestRelay;
  upstream: TestUpstream;
  base: string;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The JSON body, or null when it is not JSON. */
  body: Record<string, unknown> | null;
}

/** Account "a" (file key KEY_A) delivers through route "main" to the upstream; "b" writes files. */
export async function startManagementRelay(patch?: ConfigPatch): Promise<ManagementRelay> {
  const upstream = await startUpstream();
  let t: TestRelay;
  try {
    t = await startTestRelay((json, dir) => {
      json['admin'] = { host: '127.0.0.1', port: 0, token: TOKEN };
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'smtp', host: '127.0.0.1', port: upstream.port, tls: 'none' };
      patch?.(json, dir);
    });
  } catch (e) {
    await upstream.close();
    throw e;
  }
  assert.ok(t.relay.admin, 'the admin server is listening');
  return {
    t,
    upstream,
    base: `http://127.0.0.1:${t.relay.admin.port}`,
    async close() {
      await t.stop();
      await upstream.close();
      await removeDir(t.dir);
    },
  };
}

/** One request; `body` objects are sent as JSON, strings as they are (with `type`). Every request has a 10 s bound. */
export async function call(
  base: string,
  method: string,
  path: string,
  o: { token?: string | null; body?: unknown; type?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? TOKEN : o.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  let payload: string | undefined;
  if (typeof o.body === 'string') {
    payload = o.body;
    headers['content-type'] = o.type ?? 'text/plain';
  } else if (o.body !== undefined) {
    payload = JSON.stringify(o.body);
    headers['content-type'] = o.type ?? 'application/json';
  }
  const res = await fetch(base + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: Record<string, unknown> | null = null;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) body = JSON.parse(text) as Record<string, unknown>;
  return { status: res.status, headers: res.headers, text, body };
}

/** Asserts a refusal: the status, the JSON error shape, and the parameter it names. */
export function assertRefused(a: Answer, status: number, parameter: string | null, reason?: RegExp): void {
  assert.equal(a.status, status, `expected ${status}, got ${a.status}: ${a.text}`);
  assert.ok(a.body, `a JSON error body: ${a.text}`);
  assert.equal(typeof a.body['error'], 'string');
  assert.equal(a.body['parameter'], parameter, `names ${parameter}: ${a.text}`);
  assert.equal(typeof a.body['reason'], 'string');
  if (reason) assert.match(a.body['reason'] as string, reason);
}
