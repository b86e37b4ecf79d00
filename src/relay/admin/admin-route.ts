// One route of the admin server's table: who may reach it and its handler per method.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** `params` are the path's `{name}` parameters, percent-decoded (see path-router.ts). */
export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>) => void | Promise<void>;

/**
 * What an account-scoped token may reach (the admin token reaches every route):
 * - absent: nothing (operator only: queue, metrics, webhooks, token issuance, ...);
 * - "account": the route's `{id}` must be the token's account;
 * - "account-query": the `account` query parameter is forced to the token's account (another one is refused);
 * - "any": any valid token (the API's own description).
 */
export type AccountScope = 'account' | 'account-query' | 'any';

export interface AdminRoute {
  /** False only for what a load balancer or a browser must reach without the token. */
  auth: boolean;
  scope?: AccountScope;
  methods: Partial<Record<Method, Handler>>;
}
