// Webhook endpoints made through the management API (POST/GET .../webhooks, GET/PUT/DELETE .../webhooks/{webhookId}),
// kept in the runtime store and run by the webhook dispatcher of every relay beside the configuration file's.
// A body follows the file's rules for an endpoint (config/validate-webhooks.ts readWebhookFields: one function, each
// refusal naming its field); the API only fills what it may generate: the id, the secret (shown once, in the answer
// that made it) and the event types (all of them). The file's endpoints are listed read-only, never with a secret.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FieldReader, readWebhookFields, WEBHOOK_EVENT_TYPES, type AccountConfig, type ConfigIssue, type WebhookConfig, type WebhookFields } from '../config/index.js';
import type { StoredWebhook } from '../store/store.js';
import { generateWebhookSecret } from '../webhooks/index.js';
import { readJsonObject, sendJson } from './http-io.js';
import { NAME, accountOf, isoOrNull, sendNoContent, storeOf, writeToStore, type ManagementDeps } from './management-request.js';
import { AdminRequestError, QueryReader } from './query.js';

/** Stored endpoints per account: each one reads the event log, so a bound keeps a runaway script from slowing them all. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 20;
/** The body's fields (the file's, but secretFile: a request must not make the relay read its own files). */
const FIELDS = ['id', 'url', 'events', 'secret', 'timeoutMs', 'maxInFlight', 'disableAfterMs'];

interface WebhookView {
  id: string;
  source: 'config' | 'api';
  url: string;
  events: string[];
  timeoutMs: number;
  maxInFlight: number;
  disableAfterMs: number;
  /** null for the file's endpoints (they change with the file). */
  createdAt: string | null;
  updatedAt: string | null;
  readOnly: boolean;
}

export class WebhookEndpointApi {
  constructor(private readonly d: ManagementDeps) {}

  list(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): void {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const configured = account.webhooks.map(configView);
    const stored = storeOf(this.d).webhooks.list(account.id).map((w) => ({ ...storedView(w), shadowed: fileHas(account, w.id) }));
    sendJson(res, 200, { account: account.id, webhooks: [...configured, ...stored] });
  }

  get(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): void {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const id = webhookId(params);
    const file = account.webhooks.find((w) => w.id === id);
    const stored = storeOf(this.d).webhooks.get(account.id, id);
    if (!file && !stored) throw notFound(account, id);
    sendJson(res, 200, { account: account.id, webhook: file ? configView(file) : storedView(stored!) });
  }

  /** 201 with the secret, once; 409 for an id the file or the store already has. */
  async create(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const body = await readJsonObject(req, this.d.maxBodyBytes, { emptyIsObject: true });
    const fields = checked({
      ...body,
      id: body['id'] ?? 'wh_' + randomBytes(9).toString('base64url'),
      secret: body['secret'] ?? generateWebhookSecret(),
      events: body['events'] ?? WEBHOOK_EVENT_TYPES,
    });
    if (fileHas(account, fields.id)) throw fileOwns(account, fields.id);
    const store = storeOf(this.d);
    if (store.webhooks.get(account.id, fields.id) !== null) {
      throw new AdminRequestError(409, 'conflict', 'id', `account ${account.id} has a webhook endpoint ${JSON.stringify(fields.id)} already; PUT .../webhooks/${fields.id} changes it`);
    }
    if (store.webhooks.list(account.id).length >= MAX_WEBHOOKS_PER_ACCOUNT) {
      throw new AdminRequestError(409, 'conflict', null, `account ${account.id} has ${MAX_WEBHOOKS_PER_ACCOUNT} webhook endpoints (the most it may keep); delete one first`);
    }
    const now = this.d.now();
    const webhook: StoredWebhook = { account: account.id, ...fields, createdAt: now, updatedAt: now, revision: randomBytes(8).toString('hex') };
    await writeToStore(this.d, `creating webhook endpoint ${webhook.id}`, (s) => s.webhooks.put(webhook));
    sendJson(res, 201, { account: account.id, webhook: storedView(webhook), secret: webhook.secret });
  }

  /**
   * Replaces an endpoint made through the API with the body's description (absent fields take their defaults), keeping
   * its secret unless the body gives a new one, and its cursor: the next events go to the new URL.
   */
  async replace(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const id = webhookId(params);
    if (fileHas(account, id)) throw fileOwns(account, id);
    const old = storeOf(this.d).webhooks.get(account.id, id);
    if (old === null) throw notFound(account, id);
    const body = await readJsonObject(req, this.d.maxBodyBytes, { emptyIsObject: true });
    if (body['id'] !== undefined && body['id'] !== id) throw AdminRequestError.badParameter('id', `must be the path's ${JSON.stringify(id)} or absent (an endpoint's id does not change)`);
    const fields = checked({ ...body, id, secret: body['secret'] ?? old.secret, events: body['events'] ?? WEBHOOK_EVENT_TYPES });
    const webhook: StoredWebhook = { account: account.id, ...fields, createdAt: old.createdAt, updatedAt: this.d.now(), revision: randomBytes(8).toString('hex') };
    await writeToStore(this.d, `changing webhook endpoint ${id}`, (s) => s.webhooks.put(webhook));
    sendJson(res, 200, { account: account.id, webhook: storedView(webhook), secretChanged: webhook.secret !== old.secret });
  }

  async delete(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const id = webhookId(params);
    if (fileHas(account, id)) throw fileOwns(account, id);
    const known = storeOf(this.d).webhooks.get(account.id, id) !== null;
    const deleted = known && (await writeToStore(this.d, `deleting webhook endpoint ${id}`, (s) => s.webhooks.delete(account.id, id)));
    if (!deleted) throw notFound(account, id);
    sendNoContent(res);
  }
}

/** The body through the file's rules: a 400 naming the first wrong field (all of them in `errors`). */
function checked(body: Record<string, unknown>): WebhookFields {
  const issues: ConfigIssue[] = [];
  const reader = new FieldReader(issues, '', body, FIELDS);
  const secret = typeof body['secret'] === 'string' ? body['secret'] : null;
  if (body['secret'] !== undefined && secret === null) issues.push({ path: '.secret', message: 'must be a string ("whsec_" + base64), or absent for one made by the relay' });
  const fields = readWebhookFields(reader, secret);
  if (issues.length > 0 || fields === null) {
    const errors = issues.map((i) => ({ parameter: i.path.replace(/^\./, ''), reason: i.message }));
    const first = errors[0] ?? { parameter: 'body', reason: 'is not a webhook endpoint' };
    throw new AdminRequestError(400, 'bad request', first.parameter, first.reason, { errors });
  }
  return fields;
}

function webhookId(params: Record<string, string>): string {
  const id = params['webhookId'] ?? '';
  if (!NAME.pattern.test(id)) throw AdminRequestError.badParameter('webhookId', `must be ${NAME.describe}`);
  return id;
}

function fileHas(account: AccountConfig, id: string): boolean {
  return account.webhooks.some((w) => w.id === id);
}

function notFound(account: AccountConfig, id: string): AdminRequestError {
  return new AdminRequestError(404, 'not found', 'webhookId', `no webhook endpoint ${JSON.stringify(id)} in account ${account.id}`);
}

function fileOwns(account: AccountConfig, id: string): AdminRequestError {
  return new AdminRequestError(409, 'conflict', 'id', `webhook endpoint ${JSON.stringify(id)} of account ${account.id} is defined in the configuration file, which wins; change it there (or choose another id)`);
}

function configView(w: WebhookConfig): WebhookView {
  return { id: w.id, source: 'config', url: w.url, events: w.events, timeoutMs: w.timeoutMs, maxInFlight: w.maxInFlight, disableAfterMs: w.disableAfterMs, createdAt: null, updatedAt: null, readOnly: true };
}

function storedView(w: StoredWebhook): WebhookView {
  return { id: w.id, source: 'api', url: w.url, events: w.events, timeoutMs: w.timeoutMs, maxInFlight: w.maxInFlight, disableAfterMs: w.disableAfterMs, createdAt: isoOrNull(w.createdAt), updatedAt: isoOrNull(w.updatedAt), readOnly: false };
}
