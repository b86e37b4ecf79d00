// The admin endpoints of message activity (docs/admin-api.md "Message activity"):
//   GET /api/messages?recipient=&tag=&account=&since=&limit=&cursor=   messages found, newest first, bounded scan
//   GET /api/messages/{id}                                             one message's timeline per recipient
//   GET /api/messages/{id}/content?recipient=                          the composed message (message/rfc822)
// {id} is the queue id ("queued as <id>") or an outbound Message-ID (<id>.<n>@<host>, angle brackets optional).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send, sendJson } from './http-io.js';
import type { MessageActivity } from './message-activity.js';
import { AdminRequestError, QueryReader } from './query.js';

/** The path prefix the admin server hands to `message`. */
export const MESSAGES_PREFIX = '/api/messages/';

const TAG = { pattern: /^[a-z0-9._-]{1,64}$/, describe: 'a tag: 1 to 64 of a-z 0-9 . _ -', maxLength: 64 };
const ACCOUNT = { pattern: /^[A-Za-z0-9._-]{1,64}$/, describe: 'an account id: 1 to 64 of A-Z a-z 0-9 . _ -', maxLength: 64 };
const ADDRESS = { pattern: /^[^\s@\u0000-\u001f\u007f]{1,64}@[^\s@\u0000-\u001f\u007f]{1,255}$/u, describe: 'an email address (local@domain)', maxLength: 320 };
const CURSOR = { pattern: /^[0-9:]{1,40}$/, describe: 'a cursor from a previous page (next)', maxLength: 40 };
const DEFAULT_SINCE_MS = 24 * 3_600_000;
const LIMIT_MAX = 500;

export interface MessageActivityApiDeps {
  activity: MessageActivity;
  /** Account ids known to the admin API: an unknown one is a 404, as on the other endpoints. */
  accounts(): readonly string[];
  now(): number;
}

export class MessageActivityApi {
  constructor(private readonly d: MessageActivityApiDeps) {}

  async search(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = new QueryReader(url.searchParams, ['recipient', 'tag', 'account', 'since', 'limit', 'cursor']);
    const recipient = q.string('recipient', ADDRESS);
    const tag = q.string('tag', TAG);
    const account = q.string('account', ACCOUNT);
    if (account !== undefined && !this.d.accounts().includes(account)) {
      throw new AdminRequestError(404, 'not found', 'account', `no account ${JSON.stringify(account)} in the configuration`);
    }
    const now = this.d.now();
    const since = q.time('since') ?? now - DEFAULT_SINCE_MS;
    if (since > now) throw AdminRequestError.badParameter('since', 'must not be in the future');
    const limit = q.integer('limit', 1, LIMIT_MAX) ?? 50;
    const cursor = q.string('cursor', CURSOR);
    const search = { since, limit, ...(recipient !== undefined ? { recipient } : {}), ...(tag !== undefined ? { tag } : {}), ...(account !== undefined ? { account } : {}) };
    sendJson(res, 200, await this.d.activity.search(cursor === undefined ? search : { ...search, cursor }));
  }

  /** GET /api/messages/{id} and /api/messages/{id}/content. */
  async message(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const parts = url.pathname.slice(MESSAGES_PREFIX.length).split('/');
    let ref: string;
    try {
      ref = decodeURIComponent(parts[0] ?? '');
    } catch {
      throw AdminRequestError.badParameter('id', 'is not valid percent-encoding');
    }
    if (ref === '') throw new AdminRequestError(404, 'not found', 'id', `expected ${MESSAGES_PREFIX}{id} or ${MESSAGES_PREFIX}{id}/content`);
    if (parts.length === 1) {
      new QueryReader(url.searchParams, []);
      sendJson(res, 200, await this.d.activity.message(ref));
      return;
    }
    if (parts.length !== 2 || parts[1] !== 'content') throw new AdminRequestError(404, 'not found', null, `no such path: ${url.pathname} (expected ${MESSAGES_PREFIX}{id} or ${MESSAGES_PREFIX}{id}/content)`);
    const recipient = new QueryReader(url.searchParams, ['recipient']).string('recipient', ADDRESS);
    const c = await this.d.activity.content(ref, recipient);
    const name = `${c.id}-${c.recipient.replace(/[^A-Za-z0-9._-]/g, '_')}.eml`;
    send(res, 200, 'message/rfc822', c.body, { 'content-disposition': `attachment; filename="${name}"`, 'x-txrelay-content-source': c.source });
  }
}
