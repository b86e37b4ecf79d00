// The public HTTP listener (node:http, never the admin port, no token): what people who receive the mail reach.
// Dispatch is a table of path prefixes ("/u/<token>" -> the unsubscribe route); handlers return replies, and this
// file alone writes them. Bounded: header and body sizes, request and idle timeouts; anything unknown is 404.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ClientAddress } from './client-address.js';
import { NOT_FOUND, type PublicMethod, type PublicReply, type PublicRequest, type PublicRoute } from './public-route.js';
import { closeHttp, listenHttp, readBoundedBody } from '../http/http-server-io.js';

export interface PublicHttpServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Reverse proxies whose X-Forwarded-For is believed. */
  trustProxy: readonly string[];
  /** By path prefix: "u" serves "/u/<segment>". */
  routes: ReadonlyMap<string, PublicRoute>;
  logger?: Logger;
  /** Bodies past this are refused with 413; default 16 KiB (a one-click POST is a few dozen bytes). */
  maxBodyBytes?: number;
  /** Whole request (headers and body); default 10 s. */
  requestTimeoutMs?: number;
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

/** Thrown by body(): answered 413 by the server. */
class BodyTooLarge extends Error {}

export class PublicHttpServer {
  private readonly server: Server;
  private readonly clients: ClientAddress;
  private readonly logger: Logger | null;
  private readonly maxBodyBytes: number;

  constructor(private readonly o: PublicHttpServerOptions) {
    this.clients = new ClientAddress(o.trustProxy);
    this.logger = o.logger ?? null;
    this.maxBodyBytes = o.maxBodyBytes ?? 16 * 1024;
    const requestTimeout = o.requestTimeoutMs ?? 10_000;
    this.server = createServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 5_000), maxHeaderSize: 8 * 1024 }, (req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  listen(): Promise<AddressInfo> {
    return listenHttp(this.server, this.o.port, this.o.host);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const { route, rest } = this.routeOf(req.url ?? '/');
    let reply: PublicReply;
    try {
      reply = route === null ? NOT_FOUND : await this.dispatch(req, route, rest);
    } catch (e) {
      if (e instanceof BodyTooLarge) reply = { status: 413, body: 'payload too large\n', headers: { connection: 'close' } };
      else {
        this.logger?.error({ publicHttp: true, err: (e as Error)?.message }, 'public request failed');
        reply = { status: 500, body: 'internal error\n' };
      }
    }
    this.write(res, reply);
    this.logger?.debug({ publicHttp: true, method: req.method, status: reply.status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'public request');
  }

  /** "/<prefix>/<one segment>" with a known prefix, else no route (404). The query string is ignored. */
  private routeOf(target: string): { route: PublicRoute | null; rest: string } {
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const m = /^\/([A-Za-z0-9_-]{1,32})\/([^/]+)$/.exec(path);
    if (!m) return { route: null, rest: '' };
    return { route: this.o.routes.get(m[1]!) ?? null, rest: m[2]! };
  }

  private async dispatch(req: IncomingMessage, route: PublicRoute, rest: string): Promise<PublicReply> {
    const method = req.method === 'HEAD' ? 'GET' : (req.method as PublicMethod);
    const handler = route.methods[method];
    if (!handler) {
      const allow = Object.keys(route.methods);
      if (allow.includes('GET')) allow.push('HEAD');
      return { status: 405, body: 'method not allowed\n', headers: { allow: allow.join(', ') } };
    }
    const header = req.headers['content-type'] ?? '';
    const request: PublicRequest = {
      method: req.method as PublicRequest['method'],
      rest,
      client: this.clients.of(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for']),
      userAgent: req.headers['user-agent'] ?? '',
      contentType: header.split(';')[0]!.trim().toLowerCase(),
      contentTypeHeader: header,
      body: () => readBoundedBody(req, this.maxBodyBytes, () => new BodyTooLarge()),
    };
    return handler(request);
  }

  private write(res: ServerResponse, reply: PublicReply): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body ?? '', 'utf8');
    res.writeHead(reply.status, {
      ...COMMON_HEADERS,
      'content-type': reply.contentType ?? 'text/plain; charset=utf-8',
      'content-length': String(body.length),
      ...reply.headers,
    });
    res.end(body);
  }
}

