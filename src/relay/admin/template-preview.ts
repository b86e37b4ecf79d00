// The dashboard's template preview: rendered HTML shown in an <iframe sandbox> under its own Content-Security-Policy.
//
// Why a route and not srcdoc or a blob: URL: a srcdoc, blob: or data: frame inherits the dashboard's CSP (checked in
// Chromium: the email's <style> and style="" are refused there), and loosening the dashboard's style-src for it
// would weaken the page that holds the token. So the page hands the HTML it got from the render endpoint to
// `POST /api/previews` (bearer token, any kind) and gets a ticket; the frame loads `GET /previews/{ticket}`, which an
// iframe can reach without a header. The ticket is the credential: 256 random bits, one read, 60 seconds, never
// the token itself (a token in a URL would land in history and logs). What it serves cannot act on the admin
// origin: CSP `sandbox` (an opaque origin; no scripts, forms, popups or top navigation) with `default-src 'none'`,
// styles inline only, images from data: and https: (as a mail client shows them), framed by the dashboard only.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, send, sendJson } from './http-io.js';
import { AdminRequestError, QueryReader } from './query.js';

export const PREVIEW_PREFIX = '/previews/';
/** How long a ticket can be read, in ms. */
export const PREVIEW_TTL_MS = 60_000;
/** Tickets kept at once; the oldest goes first. Bounds memory at this many times the largest body. */
export const MAX_PREVIEWS = 16;
/** A rendered template's HTML (512 KiB of source can render larger). */
export const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

export const PREVIEW_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data: https:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  'sandbox',
].join('; ');

const TICKET = /^[A-Za-z0-9_-]{43}$/;

export class TemplatePreviews {
  private readonly tickets = new Map<string, { html: Buffer; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  /** POST /api/previews, text/html: 201 {url, expiresAt}. */
  async create(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    new QueryReader(url.searchParams, []);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'text/html') throw new AdminRequestError(415, 'unsupported media type', 'body', 'must be text/html (the HTML of a render answer)');
    const html = await readBody(req, MAX_PREVIEW_BYTES);
    const t = this.now();
    this.expire(t);
    while (this.tickets.size >= MAX_PREVIEWS) this.tickets.delete(this.tickets.keys().next().value!);
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = t + PREVIEW_TTL_MS;
    this.tickets.set(ticket, { html, expiresAt });
    sendJson(res, 201, { url: PREVIEW_PREFIX + ticket, expiresAt: new Date(expiresAt).toISOString() });
  }

  /** GET /previews/{ticket}: the HTML once, under the sandboxing CSP; 404 when unknown, read or expired. */
  serve(_req: IncomingMessage, res: ServerResponse, _url: URL, params: Record<string, string>): void {
    const ticket = params['ticket'] ?? '';
    this.expire(this.now());
    const entry = TICKET.test(ticket) ? this.tickets.get(ticket) : undefined;
    if (entry === undefined) throw new AdminRequestError(404, 'not found', 'ticket', 'no such preview: a preview can be read once, within 60 seconds of its making');
    this.tickets.delete(ticket);
    send(res, 200, 'text/html; charset=utf-8', entry.html, { 'content-security-policy': PREVIEW_CSP, 'x-frame-options': 'SAMEORIGIN' });
  }

  private expire(t: number): void {
    for (const [ticket, entry] of this.tickets) if (entry.expiresAt <= t) this.tickets.delete(ticket);
  }
}
