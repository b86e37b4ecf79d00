// The admin HTTP server (SPEC §6): health, readiness, Prometheus metrics, stats, events, message activity, suppressions, the queue and
// the dashboard page, on node:http, loopback by default. Which path needs the bearer token, what an account-scoped
// token may reach and which methods each path answers is one table (path patterns: path-router.ts); dispatch, auth
// and error replies happen in one place.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AdminApi, type SuppressionStore } from './admin-api.js';
import type { AdminRoute, Method } from './admin-route.js';
import { BearerToken } from './bearer-token.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.js';
import { send, sendError } from './http-io.js';
import { AdminAccess } from './management-access.js';
import { managementRoutes } from './management-routes.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { AdminRequestError } from './query.js';
import { OPENAPI_JSON } from './openapi.js';
import { PathRouter } from './path-router.js';
import type { QueueRoute } from './queue.js';
import type { Readiness } from './readiness.js';
import type { EventReader, TagStats } from './stats.js';
import { PREVIEW_PREFIX, TemplatePreviews } from './template-preview.js';
import { WEBHOOK_ACTION_PREFIX, WebhookApi } from './webhook-api.js';
import { MessageActivity } from './message-activity.js';
import { MESSAGES_PREFIX, MessageActivityApi } from './message-activity-api.js';
import type { WebhookAdmin } from '../webhooks/index.js';
import type { RelayConfig } from '../config/index.js';
import type { RuntimeStore } from '../store/store.js';
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
  /** /api/messages: timelines and search over the event log; absent = one over `events` without index or content. */
  messages?: MessageActivity | null;
  /** Request bodies past this are refused with 413; default 64 KiB. */
  maxBodyBytes?: number;
  /** Rows one CSV export may hold; default 100,000. */
  maxExportRows?: number;
  /** The management API (keys, templates, suppressions, account tokens); absent = its routes answer 503. */
  management?: { store: RuntimeStore; config(): RelayConfig } | null;
  now?: () => number;
}

export class AdminServer {
  private readonly server: Server;
  private readonly access: AdminAccess;
  private readonly routes: PathRouter<AdminRoute>;
  private readonly logger: Logger | null;

  constructor(private readonly o: AdminServerOptions) {
    const now = o.now ?? Date.now;
    this.access = new AdminAccess(new BearerToken(o.token), () => o.management?.store.accountTokens ?? null, now);
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
    const messages = new MessageActivityApi({
      activity: o.messages ?? new MessageActivity({ events: o.events, now }),
      accounts: () => [...new Set([...o.accounts(), ...o.stats.accountIds()])],
      now,
    });
    const previews = new TemplatePreviews(now);
    const management = { store: o.management?.store ?? null, config: () => o.management!.config(), now, maxBodyBytes: o.maxBodyBytes ?? 64 * 1024 };
    this.routes = new PathRouter<AdminRoute>([
      ['/', { auth: false, methods: { GET: (_q, res) => send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, { 'content-security-policy': DASHBOARD_CSP, 'x-frame-options': 'DENY' }) } }],
      ['/healthz', { auth: false, methods: { GET: (_q, res) => send(res, 200, 'text/plain; charset=utf-8', 'ok\n') } }],
      ['/readyz', { auth: true, methods: { GET: (_q, res) => this.readyz(res) } }],
      ['/metrics', { auth: true, methods: { GET: (_q, res) => send(res, 200, PROMETHEUS_CONTENT_TYPE, o.metrics.exposition()) } }],
      ['/api/openapi.json', { auth: true, scope: 'any', methods: { GET: (_q, res) => send(res, 200, 'application/json; charset=utf-8', OPENAPI_JSON) } }],
      ['/api/accounts', { auth: true, scope: 'account-query', methods: { GET: (q, res, url) => api.accounts(q, res, url) } }],
      ['/api/stats', { auth: true, scope: 'account-query', methods: { GET: (q, res, url) => api.stats(q, res, url) } }],
      ['/api/events', { auth: true, scope: 'account-query', methods: { GET: (q, res, url) => api.events(q, res, url) } }],
      ['/api/queue', { auth: true, methods: { GET: (q, res, url) => api.queue(q, res, url) } }],
      ['/api/webhooks', { auth: true, methods: { GET: (q, res, url) => webhooks.list(q, res, url) } }],
      // {account}/{id}/{action}, parsed by the webhook API.
      [`${WEBHOOK_ACTION_PREFIX}{account}/{id}/{action}`, { auth: true, methods: { POST: (q, res, url) => webhooks.action(q, res, url) } }],
      ['/api/messages', { auth: true, methods: { GET: (q, res, url) => messages.search(q, res, url) } }],
      // {id} or {id}/content, parsed by the message activity API.
      [`${MESSAGES_PREFIX}{id}`, { auth: true, methods: { GET: (q, res, url) => messages.message(q, res, url) } }],
      [`${MESSAGES_PREFIX}{id}/content`, { auth: true, methods: { GET: (q, res, url) => messages.message(q, res, url) } }],
      [
        '/api/suppressions',
        {
          auth: true,
          scope: 'account-query',
          methods: {
            GET: (q, res, url) => api.listSuppressions(q, res, url),
            POST: (q, res, url) => api.addSuppression(q, res, url),
            DELETE: (q, res, url) => api.removeSuppression(q, res, url),
          },
        },
      ],
      ...managementRoutes(management, o.maxExportRows ?? 100_000),
      // The dashboard's template preview (template-preview.ts): a ticket made with a token, read once by an iframe without one.
      ['/api/previews', { auth: true, scope: 'any', methods: { POST: (q, res, url) => previews.create(q, res, url) } }],
      [`${PREVIEW_PREFIX}{ticket}`, { auth: false, methods: { GET: (q, res, url, p) => previews.serve(q, res, url, p) } }],
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
      const match = this.routes.match(path);
      if (!match) throw new AdminRequestError(404, 'not found', null, `no such path: ${path}`);
      const route = match.route;
      if (route.auth) this.authorize(req, route, path, url, match.params);
      // HEAD is GET without the body (node:http drops the body of a HEAD response).
      const method = (req.method === 'HEAD' ? 'GET' : req.method) as Method;
      const handler = route.methods[method];
      if (!handler) throw new AdminRequestError(405, 'method not allowed', null, `${req.method ?? ''} is not allowed on ${path}`);
      await handler(req, res, url, match.params);
    } catch (e) {
      this.refuse(req, res, path, e);
    } finally {
      this.logger?.debug({ admin: true, method: req.method, path, status: res.statusCode, ms: Date.now() - started }, 'admin request');
    }
  }

  /** The token's principal may reach this route (401 without a valid token, 403 outside an account token's account). */
  private authorize(req: IncomingMessage, route: AdminRoute, path: string, url: URL, params: Record<string, string>): void {
    try {
      this.access.authorize(this.access.authenticate(req), route, path, url, params);
    } catch (e) {
      const reason = e instanceof AdminRequestError && e.status === 403 ? 'outside the token\'s account' : req.headers.authorization !== undefined ? 'bad token' : 'no token';
      this.logger?.warn({ admin: true, path, remote: req.socket.remoteAddress, reason }, 'admin request refused');
      throw e;
    }
  }

  /** The route table's patterns, in order (the OpenAPI test checks the description against them). */
  routePatterns(): Array<{ pattern: string; methods: Method[]; auth: boolean; scope: AdminRoute['scope'] }> {
    return this.routes.patterns().map((pattern) => {
      const route = this.routes.get(pattern)!;
      return { pattern, methods: Object.keys(route.methods) as Method[], auth: route.auth, scope: route.scope };
    });
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
    let methods: string[] = [];
    try {
      methods = Object.keys(this.routes.match(path)?.route.methods ?? {});
    } catch {
      // A path the router refuses (bad percent-encoding) allows nothing.
    }
    if (methods.includes('GET')) methods.push('HEAD');
    return methods.join(', ');
  }

  private async readyz(res: ServerResponse): Promise<void> {
    const r = await this.o.readiness();
    if (r.ready) send(res, 200, 'text/plain; charset=utf-8', r.degraded === undefined ? 'ready\n' : `ready, ${r.degraded}\n`);
    else send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: 'not ready', parameter: null, reason: r.reason }) + '\n');
  }
}
