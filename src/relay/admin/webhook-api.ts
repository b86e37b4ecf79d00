// The admin endpoints of webhooks: GET /api/webhooks (every endpoint, its state, cursor lag and last attempts),
// and POST /api/webhooks/{account}/{id}/{action}: test (send a test event now), replay?from=T (send again every
// event since T), enable (a disabled endpoint resumes at its cursor). The actions are a table, like the routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookAdmin, WebhookEndpoint } from '../webhooks/index.js';
import { sendJson } from './http-io.js';
import { AdminRequestError, QueryReader } from './query.js';

/** The path prefix the admin server hands to `action`. */
export const WEBHOOK_ACTION_PREFIX = '/api/webhooks/';

type Action = (ep: WebhookEndpoint, url: URL) => Promise<unknown>;

const ACTIONS: Readonly<Record<string, Action>> = {
  test: async (ep, url) => {
    new QueryReader(url.searchParams, []);
    const attempt = await ep.sendTest();
    return { account: ep.account, id: ep.id, attempt, ok: attempt.status !== null && attempt.status >= 200 && attempt.status < 300 };
  },
  replay: async (ep, url) => {
    const from = new QueryReader(url.searchParams, ['from']).time('from');
    if (from === undefined) throw AdminRequestError.badParameter('from', 'is required (ms since the epoch or ISO 8601)');
    const cursor = await ep.replayFrom(from);
    return { account: ep.account, id: ep.id, from: new Date(from).toISOString(), cursor, state: ep.status().state };
  },
  enable: async (ep, url) => {
    new QueryReader(url.searchParams, []);
    const enabled = await ep.enable();
    return { account: ep.account, id: ep.id, enabled, state: ep.status().state };
  },
};

export class WebhookApi {
  constructor(private readonly webhooks: WebhookAdmin | null) {}

  list(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    new QueryReader(url.searchParams, []);
    sendJson(res, 200, { webhooks: this.webhooks?.list() ?? [] });
  }

  async action(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const parts = url.pathname.slice(WEBHOOK_ACTION_PREFIX.length).split('/');
    if (parts.length !== 3) throw new AdminRequestError(404, 'not found', null, `expected ${WEBHOOK_ACTION_PREFIX}{account}/{id}/{${Object.keys(ACTIONS).join('|')}}`);
    const [account, id, name] = parts.map((p) => decodeURIComponent(p)) as [string, string, string];
    const act = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
    if (!act) throw new AdminRequestError(404, 'not found', null, `no webhook action ${JSON.stringify(name)} (actions: ${Object.keys(ACTIONS).join(', ')})`);
    const ep = this.webhooks?.endpoint(account, id) ?? null;
    if (!ep) throw new AdminRequestError(404, 'not found', null, `no webhook ${JSON.stringify(id)} in account ${JSON.stringify(account)}`);
    sendJson(res, 200, await act(ep, url));
  }
}
