// What an endpoint receives for one logged event: a stable JSON body (fast-json-stable-stringify) and the
// webhook-id, derived from the event's place in the log and its text, so it is the same on every retry, after a
// restart and on a replay (receivers de-duplicate by it).
import { createHash } from 'node:crypto';
import stringify from 'fast-json-stable-stringify';
import type { LoggedEvent, StoredEvent } from '../storage/event-log.js';

/** The event's fields a receiver gets under `data`; absent ones are left out. Bounce fields come from the bounce listener's events. */
export interface WebhookData {
  messageId?: string;
  account?: string;
  tag?: string;
  route?: string;
  recipient?: string;
  attempt?: number;
  /** The upstream's reply (delivered, deferred, failed) or the reason (suppressed). */
  reply?: string;
  /** Bounces: the enhanced status code, the diagnostic text and whether it is a hard bounce. */
  status?: string;
  diagnostic?: string;
  hard?: boolean;
}

export interface WebhookPayload {
  /** "message.delivered", "message.failed", ...; "webhook.test" for a test event. */
  type: string;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  data: WebhookData;
}

export function webhookIdOf(e: LoggedEvent): string {
  return 'msg_' + createHash('sha256').update(`${e.at.seq}:${e.at.offset}:${e.line}`).digest('base64url').slice(0, 32);
}

export function payloadOf(event: StoredEvent): WebhookPayload {
  const extra = event as StoredEvent & { status?: unknown; diagnostic?: unknown; hard?: unknown };
  const data: WebhookData = {};
  if (event.id !== undefined) data.messageId = event.id;
  if (event.account !== undefined) data.account = event.account;
  if (event.tag !== undefined) data.tag = event.tag;
  if (event.route !== undefined) data.route = event.route;
  if (event.recipient !== undefined) data.recipient = event.recipient;
  if (event.attempt !== undefined) data.attempt = event.attempt;
  if (event.reply !== undefined) data.reply = event.reply;
  if (typeof extra.status === 'string') data.status = extra.status;
  if (typeof extra.diagnostic === 'string') data.diagnostic = extra.diagnostic;
  if (typeof extra.hard === 'boolean') data.hard = extra.hard;
  return { type: `message.${event.type}`, timestamp: event.time, data };
}

export function bodyOf(payload: WebhookPayload): string {
  return stringify(payload);
}
