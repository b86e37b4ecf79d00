// Who a request is (the operator's admin token, or an account-scoped token from the store) and what it may reach.
// An account token reaches only its own account's paths (AccountScope in admin-route.ts); the check happens in one
// place, before any handler runs, so a handler never sees a request outside the caller's account.
import type { IncomingMessage } from 'node:http';
import { hashApiKey } from '../accept/api-key.js';
import type { CredentialStore } from '../store/store.js';
import type { AdminRoute } from './admin-route.js';
import type { BearerToken } from './bearer-token.js';
import { AdminRequestError } from './query.js';

export type Principal = { kind: 'admin' } | { kind: 'account'; account: string; tokenId: string };

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

export class AdminAccess {
  constructor(
    private readonly adminToken: BearerToken,
    /** Account tokens issued through the API; null = the admin token only. */
    private readonly accountTokens: () => CredentialStore | null,
    private readonly now: () => number,
  ) {}

  /** The caller, or a 401 naming what is wrong with the Authorization header. */
  authenticate(req: IncomingMessage): Principal {
    const header = req.headers.authorization;
    if (this.adminToken.accepts(header)) return { kind: 'admin' };
    const m = header === undefined ? null : BEARER.exec(header);
    const tokens = this.accountTokens();
    if (m !== null && tokens !== null) {
      // The store looks the token up by its SHA-256 (credential-cache.ts explains why that lookup leaks nothing).
      const t = this.now();
      const c = tokens.find(hashApiKey(m[1]!), t);
      if (c !== null) {
        tokens.touch(c.id, t);
        return { kind: 'account', account: c.account, tokenId: c.id };
      }
    }
    throw new AdminRequestError(401, 'unauthorized', null, header !== undefined ? 'the bearer token is not valid' : 'a bearer token is required (Authorization: Bearer <token>)');
  }

  /**
   * Refuses (403) a route outside the token's account; for "account-query" routes, sets `account` in the URL to the
   * token's own when the request gives none.
   */
  authorize(p: Principal, route: AdminRoute, path: string, url: URL, params: Record<string, string>): void {
    if (p.kind === 'admin') return;
    const own = p.account;
    switch (route.scope) {
      case 'any':
        return;
      case 'account':
        if (params['id'] === own) return;
        throw new AdminRequestError(403, 'forbidden', 'id', `this token is limited to account ${JSON.stringify(own)}`);
      case 'account-query': {
        const asked = url.searchParams.getAll('account');
        if (asked.length === 0 || (asked.length === 1 && asked[0] === '')) {
          url.searchParams.set('account', own);
          return;
        }
        if (asked.length === 1 && asked[0] === own) return;
        throw new AdminRequestError(403, 'forbidden', 'account', `this token is limited to account ${JSON.stringify(own)}`);
      }
      default:
        throw new AdminRequestError(403, 'forbidden', null, `${path} needs the admin token: an account token reaches only its own account's keys, templates, suppressions, stats and events`);
    }
  }
}
