// The admin HTTP server (SPEC §6): health, readiness, Prometheus metrics, stats, events, suppressions, the queue and
// the dashboard page, on node:http, loopback by default. Which path needs the bearer token and which
// methods it answers is one table (ADMIN_ROUTES); dispatch, auth and error replies happen in one place.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AdminApi, type SuppressionStore } from './admin-api.js';
import { BearerToken } from './bearer-token.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.js';
import { send, sendError } from './http-io.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { AdminRequestError } from './query.js';
import type { QueueRoute } from './queue.js';
import type { Readiness } from './readiness.js';
import type { EventReader, TagStats } from './stats.js';
import { WEBHOOK_ACTION_PREFIX, WebhookApi } from './webhook-api.js';
import type { WebhookAdmin } from '../webhooks/index.js';
import { closeHttp, listenHttp } from '../http/http-server-io.js';

export interface AdminServerOptions {
  /** Address to bind; the configuration's default is 127.0.0.1. */
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Bearer token for everything but /healthz and the dashboard's HTML; at least 16 characters. */
  token: string;
  metrics: { exposition(): string };
  stats: TagStats;
  events: EventReader;
  suppressions: SuppressionStore;
  /** Account ids of the running configuration. */
  accounts(): readonly string[];
  /** /api/queue: per route, spooled messages waiting and each destination's state; default none. */
  queue?: () => QueueRoute[];
  /** Listeners bound and spool writable; see readiness.ts. */
  readiness(): Readiness | Promise<Readiness>;
  logger?: Logger;
  /** Webhook endpoints (GET /api/webhooks, POST /api/webhooks/{account}/{id}/{test|replay|enable}); absent = none. */
  webhooks?: WebhookAdmin | null;
  /** Request bodies past this are refused with 413; default 64 KiB. */
  maxBodyBytes?: number;
  /** Rows one CSV export may hold; default 100,000. */
  maxExportRows?: number;
  now?: () => number;
}

type Method = 'GET' | 'POST' | 'DELETE';
type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

interface AdminRoute {
  /** False only for what a load balancer or a browser must reach without the token. */
  auth: boolean;
  methods: Partial<Record<Method, Handler>>;
}

export class AdminServer {
  private readonly server: Server;
  private readonly token: BearerToken;
  private readonly routes: ReadonlyMap<string, AdminRoute>;
  private readonly logger: Logger | null;

  constructor(private readonly o: AdminServerOptions) {
    this.token = new BearerToken(o.token);
    this.logger = o.logger ?? null;
    const api = new AdminApi({
      stats: o.stats,
      events: o.events,
      suppressions: o.suppressions,
      accounts: o.accounts,
      queue: o.queue ?? (() => []),
      maxBodyBytes: o.maxBodyBytes ?? 64 * 1024,
      maxExportRows: o.maxExportRows ?? 100_000,
      now: o.now ?? Date.now,
    });
    const webhooks = new WebhookApi(o.webhooks ?? null);
    this.routes = new Map<string, AdminRoute>([
      ['/', { auth: false, methods: { GET: (_q, res) => send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, { 'content-security-policy': DASHBOARD_CSP, 'x-frame-options': 'DENY' }) } }],
      ['/healthz', { auth: false, methods: { GET: (_q, res) => send(res, 200, 'text/plain; charset=utf-8', 'ok\n') } }],
      ['/readyz', { auth: true, methods: { GET: (_q, res) => this.readyz(res) } }],
      ['/metrics', { auth: true, methods: { GET: (_q, res) => send(res, 200, PROMETHEUS_CONTENT_TYPE, o.metrics.exposition()) } }],
      ['/api/accounts', { auth: true, methods: { GET: (q, res) => api.accounts(q, res) } }],
      ['/api/stats', { auth: true, methods: { GET: (q, res, url) => api.stats(q, res, url) } }],
      ['/api/events', { auth: true, methods: { GET: (q, res, url) => api.events(q, res, url) } }],
      ['/api/queue', { auth: true, methods: { GET: (q, res, url) => api.queue(q, res, url) } }],
      ['/api/webhooks', { auth: true, methods: { GET: (q, res, url) => webhooks.list(q, res, url) } }],
      // Every path under the prefix: {account}/{id}/{action}, parsed by the webhook API.
      [WEBHOOK_ACTION_PREFIX, { auth: true, methods: { POST: (q, res, url) => webhooks.action(q, res, url) } }],
      [
        '/api/suppressions',
        {
          auth: true,
          methods: {
            GET: (q, res, url) => api.listSuppressions(q, res, url),
            POST: (q, res, url) => api.addSuppression(q, res, url),
            DELETE: (q, res, url) => api.removeSuppression(q, res, url),
          },
        },
      ],
    ]);
    this.server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  listen(): Promise<AddressInfo> {
    return listenHttp(this.server, this.o.port, this.o.host);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let path = '?';
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://admin.invalid');
      } catch {
        throw new AdminRequestError(400, 'bad request', null, 'the request target is not a valid URL');
      }
      path = url.pathname;
      const route = this.routes.get(path) ?? (path.startsWith(WEBHOOK_ACTION_PREFIX) ? this.routes.get(WEBHOOK_ACTION_PREFIX) : undefined);
      if (!route) throw new AdminRequestError(404, 'not found', null, `no such path: ${path}`);
      if (route.auth && !this.token.accepts(req.headers.authorization)) {
        const given = req.headers.authorization !== undefined;
        this.logger?.warn({ admin: true, path, remote: req.socket.remoteAddress, reason: given ? 'bad token' : 'no token' }, 'admin request refused');
        throw new AdminRequestError(401, 'unauthorized', null, given ? 'the bearer token is not valid' : 'a bearer token is required (Authorization: Bearer <token>)');
      }
      // HEAD is GET without the body (node:http drops the body of a HEAD response).
      const method = (req.method === 'HEAD' ? 'GET' : req.method) as Method;
      const handler = route.methods[method];
      if (!handler) throw new AdminRequestError(405, 'method not allowed', null, `${req.method ?? ''} is not allowed on ${path}`);
      await handler(req, res, url);
    } catch (e) {
      this.refuse(req, res, path, e);
    } finally {
      this.logger?.debug({ admin: true, method: req.method, path, status: res.statusCode, ms: Date.now() - started }, 'admin request');
    }
  }

  /** Answers a refusal or an unexpected error; never a stack trace on the wire. */
  private refuse(req: IncomingMessage, res: ServerResponse, path: string, e: unknown): void {
    if (!(e instanceof AdminRequestError)) this.logger?.error({ admin: true, path, err: (e as Error)?.message }, 'admin request failed');
    const err = e instanceof AdminRequestError ? e : new AdminRequestError(500, 'internal error', null, 'the request could not be completed; see the relay log');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    if (err.status === 401) headers['www-authenticate'] = req.headers.authorization === undefined ? 'Bearer realm="txrelay-admin"' : 'Bearer realm="txrelay-admin", error="invalid_token"';
    if (err.status === 405) headers['allow'] = this.allowed(path);
    // A body we refused unread would otherwise be parsed as the next request on this connection.
    if (err.status === 413) headers['connection'] = 'close';
    sendError(res, err, headers);
  }

  private allowed(path: string): string {
    const route = this.routes.get(path) ?? (path.startsWith(WEBHOOK_ACTION_PREFIX) ? this.routes.get(WEBHOOK_ACTION_PREFIX) : undefined);
    const methods = Object.keys(route?.methods ?? {});
    if (methods.includes('GET')) methods.push('HEAD');
    return methods.join(', ');
  }

  private async readyz(res: ServerResponse): Promise<void> {
    const r = await this.o.readiness();
    if (r.ready) send(res, 200, 'text/plain; charset=utf-8', r.degraded === undefined ? 'ready\n' : `ready, ${r.degraded}\n`);
    else send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: 'not ready', parameter: null, reason: r.reason }) + '\n');
  }
}
