// The "/o/<token>" (open pixel) and "/c/<token>" (click) routes of the public listener. A token that does not
// verify, or names a record or link that does not exist or has expired, is 404 without a reason; a click answers
// 302 to the link's original URL from the message's record (never a URL from the request: no open redirect).
// Events are appended to the log's buffer, never waited on.
import type { Logger } from 'pino';
import type { EventSink } from '../storage/event-log.js';
import { NOT_FOUND, type PublicReply, type PublicRequest, type PublicRoute } from '../public-http/index.js';
import { isMachineFetch } from './machine-fetch.js';
import type { MachineRanges } from './machine-ranges.js';
import type { TrackingStore } from './tracking-store.js';
import type { TrackingKind, TrackingTokens } from './tracking-token.js';

export interface TrackingRouteOptions {
  tokens: TrackingTokens;
  store: TrackingStore;
  events: EventSink;
  logger?: Logger;
  now?: () => number;
  /** Fetches this soon after acceptance are flagged machine; default 10 s. */
  machineWindowMs?: number;
  /** Client addresses flagged machine (scanners, privacy proxies); null = none. */
  machineRanges?: MachineRanges | null;
  /** Records accepted longer ago than this are expired: their links answer 404. Default: never. */
  recordMaxAgeMs?: number;
  /** Called once per request with the route's time (token, record, event), for the latency histogram. */
  observe?: (endpoint: TrackingKind, status: number, seconds: number) => void;
}

/** A 1x1 transparent GIF (43 bytes). */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const NO_CACHE = { 'cache-control': 'no-store, no-cache, must-revalidate, max-age=0', pragma: 'no-cache', expires: '0' };

export function trackingRoutes(o: TrackingRouteOptions): { open: PublicRoute; click: PublicRoute } {
  const now = o.now ?? Date.now;
  const windowMs = o.machineWindowMs ?? 10_000;
  const maxAgeMs = o.recordMaxAgeMs ?? Infinity;
  const ranges = o.machineRanges ?? null;

  const lookup = async (req: PublicRequest, kind: TrackingKind) => {
    const claim = o.tokens.verify(req.rest);
    if (claim === null || claim.kind !== kind) return null;
    const record = await o.store.read(claim.id);
    if (record === null || record.account !== claim.account) return null;
    const recipient = record.recipients[claim.recipient];
    if (recipient === undefined) return null;
    const time = now();
    if (time - record.acceptedAt > maxAgeMs) return null; // expired: the sweep removes the file in its own time
    const machine = isMachineFetch({ method: req.method, userAgent: req.userAgent, client: req.client, time, acceptedAt: record.acceptedAt }, windowMs, ranges);
    return { claim, record, recipient, time, machine };
  };

  /** The handler, timed for the latency histogram (from the token check to the reply, the event appended). */
  const timed = (endpoint: TrackingKind, handle: (req: PublicRequest) => Promise<PublicReply>) => async (req: PublicRequest): Promise<PublicReply> => {
    const started = performance.now();
    const reply = await handle(req);
    o.observe?.(endpoint, reply.status, (performance.now() - started) / 1000);
    return reply;
  };

  return {
    open: {
      methods: {
        GET: timed('open', async (req) => {
          const found = await lookup(req, 'open');
          if (found === null) return NOT_FOUND;
          const { claim, record, recipient, time, machine } = found;
          o.events.append({ type: 'opened', time, id: claim.id, account: claim.account, tag: record.tag, recipient, userAgent: req.userAgent, client: req.client, machine });
          return { status: 200, contentType: 'image/gif', body: PIXEL_GIF, headers: NO_CACHE };
        }),
      },
    },
    click: {
      methods: {
        GET: timed('click', async (req) => {
          const found = await lookup(req, 'click');
          if (found === null) return NOT_FOUND;
          const { claim, record, recipient, time, machine } = found;
          const url = record.links[claim.link];
          if (url === undefined) return NOT_FOUND;
          o.events.append({ type: 'clicked', time, id: claim.id, account: claim.account, tag: record.tag, recipient, url, userAgent: req.userAgent, client: req.client, machine });
          o.logger?.debug({ id: claim.id, link: claim.link, machine }, 'tracked click');
          return { status: 302, body: '', headers: { location: url, ...NO_CACHE } };
        }),
      },
    },
  };
}
