// The "/o/<token>" (open pixel) and "/c/<token>" (click) routes of the public listener. A token that does not
// verify, or names a record or link that does not exist, is 404 without a reason; a click answers 302 to the link's
// original URL from the message's record (never a URL from the request: no open redirect). Events are appended to
// the log's buffer, never waited on.
import type { Logger } from 'pino';
import type { EventSink } from '../storage/event-log.js';
import { NOT_FOUND, type PublicReply, type PublicRequest, type PublicRoute } from '../public-http/index.js';
import { isMachineFetch } from './machine-fetch.js';
import type { TrackingStore } from './tracking-store.js';
import type { TrackingTokens } from './tracking-token.js';

export interface TrackingRouteOptions {
  tokens: TrackingTokens;
  store: TrackingStore;
  events: EventSink;
  logger?: Logger;
  now?: () => number;
  /** Fetches this soon after acceptance are flagged machine; default 10 s. */
  machineWindowMs?: number;
}

/** A 1x1 transparent GIF (43 bytes). */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const NO_CACHE = { 'cache-control': 'no-store, no-cache, must-revalidate, max-age=0', pragma: 'no-cache', expires: '0' };

export function trackingRoutes(o: TrackingRouteOptions): { open: PublicRoute; click: PublicRoute } {
  const now = o.now ?? Date.now;
  const windowMs = o.machineWindowMs ?? 10_000;

  const lookup = async (req: PublicRequest, kind: 'open' | 'click') => {
    const claim = o.tokens.verify(req.rest);
    if (claim === null || claim.kind !== kind) return null;
    const record = await o.store.read(claim.id);
    if (record === null || record.account !== claim.account) return null;
    const recipient = record.recipients[claim.recipient];
    if (recipient === undefined) return null;
    const time = now();
    const machine = isMachineFetch({ method: req.method, userAgent: req.userAgent, time, acceptedAt: record.acceptedAt }, windowMs);
    return { claim, record, recipient, time, machine };
  };

  return {
    open: {
      methods: {
        async GET(req: PublicRequest): Promise<PublicReply> {
          const found = await lookup(req, 'open');
          if (found === null) return NOT_FOUND;
          const { claim, record, recipient, time, machine } = found;
          o.events.append({ type: 'opened', time, id: claim.id, account: claim.account, tag: record.tag, recipient, userAgent: req.userAgent, client: req.client, machine });
          return { status: 200, contentType: 'image/gif', body: PIXEL_GIF, headers: NO_CACHE };
        },
      },
    },
    click: {
      methods: {
        async GET(req: PublicRequest): Promise<PublicReply> {
          const found = await lookup(req, 'click');
          if (found === null) return NOT_FOUND;
          const { claim, record, recipient, time, machine } = found;
          const url = record.links[claim.link];
          if (url === undefined) return NOT_FOUND;
          o.events.append({ type: 'clicked', time, id: claim.id, account: claim.account, tag: record.tag, recipient, url, userAgent: req.userAgent, client: req.client, machine });
          o.logger?.debug({ id: claim.id, link: claim.link, machine }, 'tracked click');
          return { status: 302, body: '', headers: { location: url, ...NO_CACHE } };
        },
      },
    },
  };
}
