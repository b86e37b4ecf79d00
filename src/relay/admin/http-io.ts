// Reading requests and writing responses for the admin server: bounded bodies, JSON errors of one shape,
// headers that keep browsers from sniffing or caching API answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AdminRequestError } from './query.js';
import { readBoundedBody } from '../http/http-server-io.js';

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': contentType, 'content-length': String(bytes.length), ...headers });
  res.end(bytes);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value) + '\n', headers);
}

/** Every refusal has the body {error, parameter, reason}; parameter is null when no single one is at fault. */
export function sendError(res: ServerResponse, e: AdminRequestError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, { error: e.error, parameter: e.parameter, reason: e.reason, ...e.details }, headers);
}

export interface JsonBodyOptions {
  /**
   * An empty body is {} whatever its Content-Type (a request whose fields are all optional: curl -X POST with no
   * data). Without this, an empty body is not valid JSON, and another media type is refused before the body is read.
   */
  emptyIsObject?: boolean;
}

/**
 * A JSON object body, and its text (an empty body allowed by `emptyIsObject` reads as '{}'). Anything else is 400
 * naming "body", 415 for another media type than application/json (the default), 413 past `maxBytes`.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, o: JsonBodyOptions = {}): Promise<{ object: Record<string, unknown>; text: string }> {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const unsupported = (): AdminRequestError => new AdminRequestError(415, 'unsupported media type', 'body', 'must be application/json');
  if (type !== 'application/json' && !o.emptyIsObject) throw unsupported();
  const bytes = await readBody(req, maxBytes);
  if (bytes.length === 0 && o.emptyIsObject) return { object: {}, text: '{}' };
  if (type !== 'application/json') throw unsupported();
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw AdminRequestError.badParameter('body', 'is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw AdminRequestError.badParameter('body', 'must be a JSON object');
  return { object: value as Record<string, unknown>, text };
}

/** readJsonBody's object. */
export async function readJsonObject(req: IncomingMessage, maxBytes: number, o: JsonBodyOptions = {}): Promise<Record<string, unknown>> {
  return (await readJsonBody(req, maxBytes, o)).object;
}

/** The request body, refused with 413 past `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return readBoundedBody(req, maxBytes, () => new AdminRequestError(413, 'payload too large', 'body', `larger than ${maxBytes} bytes`));
}
