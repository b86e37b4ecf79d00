// The "/u/<token>" route of the public listener (RFC 8058): POST with List-Unsubscribe=One-Click unsubscribes,
// GET shows a confirmation page and changes nothing, a token that does not verify is 404 without a reason.
// The reply waits for the suppression's fsync (that is what makes the unsubscribe hold), never for the event log.
import type { Logger } from 'pino';
import type { EventSink } from '../storage/event-log.js';
import { NOT_FOUND, formField, type PublicReply, type PublicRequest, type PublicRoute } from '../public-http/index.js';
import { PAGE_CSP, confirmationPage, unsubscribedPage } from './confirmation-page.js';
import type { UnsubscribeTokens } from './unsubscribe-token.js';

/** The part of the SuppressionList an unsubscribe writes. */
export interface UnsubscribeStore {
  add(account: string, address: string, reason: string, time: number, tag: string | null): Promise<boolean>;
}

export interface UnsubscribeRouteOptions {
  tokens: UnsubscribeTokens;
  suppression: UnsubscribeStore;
  events: EventSink;
  logger?: Logger;
  now?: () => number;
}

const HTML = 'text/html; charset=utf-8';

export function unsubscribeRoute(o: UnsubscribeRouteOptions): PublicRoute {
  const now = o.now ?? Date.now;
  const html = (status: number, body: string): PublicReply => ({ status, contentType: HTML, body, headers: { 'content-security-policy': PAGE_CSP } });

  return {
    methods: {
      GET(req: PublicRequest): PublicReply {
        const claim = o.tokens.verify(req.rest);
        if (claim === null) return NOT_FOUND;
        return html(200, confirmationPage(claim.recipient, claim.scope === 'tag' ? claim.tag : null));
      },

      async POST(req: PublicRequest): Promise<PublicReply> {
        const claim = o.tokens.verify(req.rest);
        if (claim === null) return NOT_FOUND;
        // RFC 8058 §3.1: the one-click POST carries exactly this field; a POST without it is not one.
        if (formField(req.contentType, req.contentTypeHeader, await req.body(), 'List-Unsubscribe') !== 'One-Click') {
          return { status: 400, body: 'expected List-Unsubscribe=One-Click\n' };
        }
        const tag = claim.scope === 'tag' ? claim.tag : null;
        const time = now();
        const reason = tag === null ? 'unsubscribed (one-click)' : `unsubscribed from tag ${tag} (one-click)`;
        const added = await o.suppression.add(claim.account, claim.recipient, reason, time, tag);
        // A repeated POST (a retry, a second click) is answered the same, and counted once.
        if (added) o.events.append({ type: 'unsubscribed', time, account: claim.account, tag: claim.tag, recipient: claim.recipient, reply: reason });
        o.logger?.info({ account: claim.account, tag: claim.tag, scope: claim.scope, recipient: claim.recipient, client: req.client, userAgent: req.userAgent, added }, 'unsubscribe');
        return html(200, unsubscribedPage(claim.recipient, tag));
      },
    },
  };
}
