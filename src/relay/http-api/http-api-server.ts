// The HTTP send API listener (docs/http-api.md): POST /v1/send and POST /v1/send/batch with an account's API key.
// Dispatch is a table of paths; the request checks run in one order (path 404, method 405, load 503, key 401,
// media type 415, Idempotency-Key 400, body size 413, JSON 400); handlers return answers or throw a refusal, and
// this file alone writes them. Each message goes through queueMessage, the accept path SMTP uses after DATA.
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SmtpError } from '../../protocol/index.js';
import type { AccountConfig, RelayConfig } from '../config/index.js';
import { queueMessage, type AcceptDeps, type RelayRuntime } from '../accept/queue-message.js';
import { printable } from '../accept/policy.js';
import { ClientAddress } from '../public-http/index.js';
import { listenHttp, readBoundedBody } from '../http/http-server-io.js';
import { TemplateVariablesError, parseTemplateJson } from '../template/index.js';
import { ApiRefusal, INTERNAL_ERROR, badField, renderError, type RenderedError } from './api-error.js';
import { accountOfRequest } from './credentials.js';
import { isJsonObject, jsonType, readSendMessage, type SendLimits } from './send-request.js';
import type { IdempotencyStore, KeptAnswer } from './idempotency-store.js';

export interface HttpApiServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** HTTPS with this certificate; null = plain HTTP (behind a TLS-terminating proxy). */
  tls: { key: string; cert: string } | null;
  /** Reverse proxies whose X-Forwarded-For names the client in the log. */
  trustProxy: readonly string[];
  /** The accept path's collaborators, shared with the SMTP backend (runtime() follows reloads). */
  accept: AcceptDeps;
  /** Idempotency-Key answers; null = the header is refused (501). */
  idempotency: IdempotencyStore | null;
  logger?: Logger;
  /** Messages in one batch; default 500. */
  maxBatch?: number;
  /** Requests being read or processed at once; past it 503 with Retry-After. Default 64. */
  maxConcurrent?: number;
  /** Whole request (headers and body); default 60 s. */
  requestTimeoutMs?: number;
}

/** A request that passed the checks: its account, the configuration it is judged by, and its JSON body. */
interface ApiRequest {
  account: AccountConfig;
  runtime: RelayRuntime;
  body: unknown;
  /** Log context of every line this request writes. */
  context: Record<string, unknown>;
  started: number;
}

type ApiAnswer = KeptAnswer;

type Handler = (r: ApiRequest) => Promise<ApiAnswer>;

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export class HttpApiServer {
  private readonly server: Server | HttpsServer;
  private readonly routes: ReadonlyMap<string, { POST: Handler }>;
  private readonly clients: ClientAddress;
  private readonly logger: Logger | null;
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;
  private active = 0;
  private requestCounter = 0;
  private closing = false;

  constructor(private readonly o: HttpApiServerOptions) {
    this.clients = new ClientAddress(o.trustProxy);
    this.logger = o.logger ?? null;
    this.maxBatch = o.maxBatch ?? 500;
    this.maxConcurrent = o.maxConcurrent ?? 64;
    this.routes = new Map<string, { POST: Handler }>([
      ['/v1/send', { POST: (r) => this.send(r) }],
      ['/v1/send/batch', { POST: (r) => this.batch(r) }],
    ]);
    const requestTimeout = o.requestTimeoutMs ?? 60_000;
    const options = { requestTimeout, headersTimeout: Math.min(requestTimeout, 10_000), maxHeaderSize: 16 * 1024 };
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((e: unknown) => {
        this.logger?.error({ httpApi: true, err: (e as Error)?.message }, 'http api request failed');
        res.destroy();
      });
    };
    this.server = o.tls === null ? createHttpServer(options, handler) : createHttpsServer({ ...options, key: o.tls.key, cert: o.tls.cert }, handler);
    this.server.keepAliveTimeout = 5_000;
  }

  get tls(): boolean {
    return this.o.tls !== null;
  }

  listen(): Promise<AddressInfo> {
    return listenHttp(this.server as Server, this.o.port, this.o.host);
  }

  /** A reloaded certificate: new TLS connections use it (plain HTTP ignores it). */
  setTls(tls: { key: string; cert: string }): void {
    if (this.o.tls !== null) (this.server as HttpsServer).setSecureContext({ key: tls.key, cert: tls.cert });
  }

  /** Stops accepting, lets requests in progress finish for up to `graceMs`, then drops every connection. */
  async close(graceMs = 0): Promise<void> {
    this.closing = true;
    const server = this.server as Server;
    if (!server.listening) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    // Answers given meanwhile say "Connection: close"; idle keep-alive connections go now.
    server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const request = String(++this.requestCounter);
    const client = this.clients.of(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for']);
    const context: Record<string, unknown> = { httpApi: request, client };
    const q = (req.url ?? '/').indexOf('?');
    const path = q < 0 ? (req.url ?? '/') : req.url!.slice(0, q);
    let answer: ApiAnswer;
    let account: string | null = null;
    let bodyRead = false;
    const admitted = this.active < this.maxConcurrent;
    if (admitted) this.active++;
    try {
      const route = this.routes.get(path);
      if (route === undefined) throw new ApiRefusal(404, 500, '5.5.1', `no such endpoint ${printable(path, 100)}; the API has POST /v1/send and POST /v1/send/batch`);
      if (req.method !== 'POST') throw new ApiRefusal(405, 502, '5.5.1', `method ${printable(req.method ?? '', 20)} is not allowed here; use POST`, null, { allow: 'POST' });
      if (!admitted || this.closing) throw new ApiRefusal(503, 451, '4.3.2', this.closing ? 'the relay is shutting down; try again shortly' : 'too many requests in progress; try again shortly', null, { 'retry-after': '1' });
      const runtime = this.o.accept.runtime();
      const acct = accountOfRequest(req.headers, runtime);
      account = acct.id;
      context['account'] = acct.id;
      checkContentType(req.headers['content-type']);
      const key = idempotencyKeyOf(req.headers['idempotency-key']);
      if (key !== null && this.o.idempotency === null) throw new ApiRefusal(501, 502, '5.5.1', 'Idempotency-Key is not available on this relay');
      const maxBytes = runtime.config.limits.maxMessageSize;
      const raw = await readBoundedBody(req, maxBytes, () => new ApiRefusal(413, 552, '5.3.4', `larger than ${maxBytes} bytes (limits.maxMessageSize)`, 'body')).catch((e: unknown) => {
        // A client that goes away mid-body is not a bug of ours: answered (to nobody) and logged as any refusal.
        throw e instanceof ApiRefusal ? e : new ApiRefusal(400, 501, '5.5.4', `could not be read: ${(e as Error).message}`, 'body');
      });
      bodyRead = true;
      const r: ApiRequest = { account: acct, runtime, body: parseBody(raw), context, started };
      const run = (): Promise<KeptAnswer> => this.answerOf(route.POST, r);
      if (key === null) answer = await run();
      else {
        const fingerprint = createHash('sha256').update(`POST ${path}\n`).update(raw).digest('base64url');
        const result = await this.o.idempotency!.run(acct.id, key, fingerprint, run, keepable);
        if (result.kind === 'conflict') throw new ApiRefusal(422, 554, '5.5.0', 'was used with a different request in the last 24 hours; use a new key for a new request', 'Idempotency-Key');
        answer = result.repeated ? { ...result.answer, headers: { ...result.answer.headers, 'idempotent-replayed': 'true' } } : result.answer;
      }
    } catch (e) {
      answer = this.refusal(e, context);
      // A body left unread would be taken for the next request on this connection.
      if (!bodyRead) answer.headers = { ...answer.headers, connection: 'close' };
    } finally {
      if (admitted) this.active--;
    }
    this.write(res, answer);
    this.logger?.debug({ ...context, account, method: req.method, path: printable(path, 100), status: answer.status, ms: Date.now() - started }, 'http api request');
  }

  /** Runs a handler; a refusal becomes its rendered answer (so an idempotent repeat sees the same). */
  private async answerOf(handler: Handler, r: ApiRequest): Promise<ApiAnswer> {
    try {
      return await handler(r);
    } catch (e) {
      return this.refusal(e, r.context);
    }
  }

  private refusal(e: unknown, context: Record<string, unknown>): ApiAnswer {
    const rendered = this.rendered(e, context);
    return { status: rendered.status, body: JSON.stringify({ error: rendered.error }), headers: rendered.headers };
  }

  /** A refusal's status and JSON; anything but a refusal is a bug: logged, answered 500 without details. */
  private rendered(e: unknown, context: Record<string, unknown>): RenderedError {
    if (!(e instanceof SmtpError)) this.logger?.error({ ...context, err: (e as Error)?.message, stack: (e as Error)?.stack }, 'http api request failed');
    return renderError(e instanceof SmtpError ? e : INTERNAL_ERROR);
  }

  /** POST /v1/send: one message; 202 with its queue id once it is in the spool (fsynced). */
  private async send(r: ApiRequest): Promise<ApiAnswer> {
    const m = readSendMessage(r.body, '', sendLimitsOf(r.runtime.config));
    const queued = await queueMessage(this.o.accept, { runtime: r.runtime, message: m.message, sessionAccount: r.account, recipients: m.recipients, envelopeFrom: '', bytes: m.bytes, started: r.started, context: r.context });
    return { status: 202, body: JSON.stringify({ id: queued.id, recipients: m.recipients.length }) };
  }

  /** POST /v1/send/batch: `{ "messages": [...] }`, each accepted or refused on its own; results in order. */
  private async batch(r: ApiRequest): Promise<ApiAnswer> {
    const body = r.body;
    if (!isJsonObject(body)) throw badField('body', `must be a JSON object { "messages": [...] }, got ${jsonType(body)}`);
    for (const key of Object.keys(body)) if (key !== 'messages') throw badField(key, 'unknown field (allowed: messages)');
    const messages = body['messages'];
    if (!Array.isArray(messages)) throw badField('messages', messages === undefined ? 'is required' : `must be an array, got ${jsonType(messages)}`);
    if (messages.length === 0) throw badField('messages', 'must hold at least one message');
    if (messages.length > this.maxBatch) throw badField('messages', `holds ${messages.length} messages, at most ${this.maxBatch} per batch`);
    const limits = sendLimitsOf(r.runtime.config);
    // All at once: the synchronous part (policy, composition, limits) runs in order, and the spool commits the
    // messages' fsyncs together.
    const results = await Promise.all(
      messages.map(async (item: unknown, i) => {
        try {
          const m = readSendMessage(item, `messages[${i}]`, limits);
          const queued = await queueMessage(this.o.accept, { runtime: r.runtime, message: m.message, sessionAccount: r.account, recipients: m.recipients, envelopeFrom: '', bytes: m.bytes, started: r.started, context: { ...r.context, index: i } });
          return { id: queued.id, recipients: m.recipients.length };
        } catch (e) {
          // Each item carries the status its refusal would have had alone: a client can tell what to retry.
          const rendered = this.rendered(e, r.context);
          return { error: { ...rendered.error, status: rendered.status } };
        }
      }),
    );
    return { status: 200, body: JSON.stringify({ results }) };
  }

  private write(res: ServerResponse, answer: ApiAnswer): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = Buffer.from(answer.body + '\n', 'utf8');
    res.writeHead(answer.status, {
      ...COMMON_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      ...(this.closing ? { connection: 'close' } : {}),
      ...answer.headers,
    });
    res.end(body);
  }
}

/** Which answers an Idempotency-Key keeps: final ones. A temporary refusal queued nothing; a retry runs again. */
function keepable(a: KeptAnswer): boolean {
  return a.status < 500 && a.status !== 429 && a.status !== 408;
}

function sendLimitsOf(config: RelayConfig): SendLimits {
  return { maxRecipients: config.limits.maxRecipients, maxHeaderBytes: config.limits.maxHeaderBytes, maxHtmlBytes: config.limits.maxHtmlBytes };
}

/** application/json, UTF-8 (RFC 8259 §8.1): anything else is 415. */
function checkContentType(header: string | undefined): void {
  if (header === undefined) throw new ApiRefusal(415, 554, '5.6.1', 'is required: application/json', 'Content-Type');
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') throw new ApiRefusal(415, 554, '5.6.1', `must be application/json, got ${JSON.stringify(printable(type ?? '', 60))}`, 'Content-Type');
  for (const p of params) {
    const m = /^charset\s*=\s*"?([^"]*)"?$/.exec(p);
    if (m && m[1] !== 'utf-8' && m[1] !== 'utf8') throw new ApiRefusal(415, 554, '5.6.1', `charset must be utf-8, got ${JSON.stringify(printable(m[1]!, 40))}`, 'Content-Type');
  }
}

function idempotencyKeyOf(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (!IDEMPOTENCY_KEY.test(key)) throw badField('Idempotency-Key', 'must be 1 to 255 visible ASCII characters');
  return key;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON body, read as the variables reader reads JSON (10.0 stays a float); bounded depth. */
function parseBody(raw: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw badField('body', 'is not valid UTF-8');
  }
  if (text.trim() === '') throw badField('body', 'is empty; send a JSON object');
  try {
    return parseTemplateJson(text);
  } catch (e) {
    if (!(e instanceof TemplateVariablesError)) throw e;
    throw badField('body', `is not valid JSON: ${e.message.replace(/^variables are not valid JSON: /, '')}`);
  }
}
