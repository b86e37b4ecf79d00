// Validation of an account's "webhooks" list (issue 16 §1): each endpoint's id, URL, event types and secret.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EVENT_TYPES } from '../storage/event-log.js';
import { webhookSecretKey } from '../webhooks/signature.js';
import { FieldReader, pathOf, typeName } from './field-reader.js';
import { NAME_PATTERN } from './formats.js';
import type { WebhookConfig } from './schema.js';

/** The relay's event types, plus those the bounce listener and one-click unsubscribe record. */
export const WEBHOOK_EVENT_TYPES: readonly string[] = [...new Set<string>([...EVENT_TYPES, 'bounced', 'complained', 'unsubscribed'])];

const FIELDS = ['id', 'url', 'events', 'secret', 'secretFile', 'timeoutMs', 'maxInFlight', 'disableAfterMs'];

/** An endpoint's fields without where its secret came from: what the file and the management API both keep. */
export type WebhookFields = Omit<WebhookConfig, 'secretFile'>;

/**
 * The rules an endpoint follows wherever it is described (the configuration file, the management API's body):
 * id, url, events, the secret's form, the limits. Each refusal is an issue naming its field; `secret` is read by
 * the caller (the file may name a secretFile; the API generates one when absent) and checked here under `secretField`.
 */
export function readWebhookFields(wr: FieldReader, secret: string | null, secretField = 'secret'): WebhookFields | null {
  const id = wr.string('id') ?? '';
  if (id && !NAME_PATTERN.test(id)) wr.fail('id', `must match [A-Za-z0-9._-]{1,64}, got ${JSON.stringify(id)}`);
  const url = wr.string('url') ?? '';
  if (url) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      wr.fail('url', `must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
    }
    if (parsed && parsed.protocol !== 'https:' && parsed.protocol !== 'http:') wr.fail('url', `must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
    else if (parsed && (parsed.username || parsed.password)) wr.fail('url', 'must not carry credentials (the signature authenticates the relay)');
  }
  const events = wr.stringArray('events', (s) => (WEBHOOK_EVENT_TYPES.includes(s) ? null : `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}, got ${JSON.stringify(s)}`));
  if (!wr.has('events')) wr.fail('events', `is required (some of ${WEBHOOK_EVENT_TYPES.join(', ')})`);
  else if (events !== null && events.length === 0 && Array.isArray(wr.obj['events']) && wr.obj['events'].length === 0) wr.fail('events', 'must list at least one event type');
  if (secret !== null) {
    const key = webhookSecretKey(secret);
    if (typeof key === 'string') {
      wr.fail(secretField, key);
      secret = null;
    }
  }
  const timeoutMs = wr.int('timeoutMs', 100, 120_000, 10_000);
  const maxInFlight = wr.int('maxInFlight', 1, 64, 4);
  const disableAfterMs = wr.int('disableAfterMs', 1000, 30 * 86_400_000, 86_400_000);
  if (!id || !url || events === null || secret === null) return null;
  return { id, url, events: [...new Set(events)], secret, timeoutMs, maxInFlight, disableAfterMs };
}

/** One endpoint of the file: its secret inline or in a secretFile (read here, relative to the file's folder). */
function readWebhook(wr: FieldReader, baseDir: string): WebhookConfig | null {
  let secret = wr.string('secret', null);
  let secretFile = wr.string('secretFile', null);
  if (secret !== null && secretFile !== null) wr.fail('secretFile', 'must not be set together with secret (choose one)');
  else if (secret === null && secretFile === null && !wr.has('secret') && !wr.has('secretFile')) wr.fail('secret', 'is required (or secretFile); txrelay keygen --webhook makes one');
  let secretField = 'secret';
  if (secretFile !== null && secret === null) {
    secretFile = resolve(baseDir, secretFile);
    secretField = 'secretFile';
    try {
      secret = readFileSync(secretFile, 'utf8').trim();
    } catch (err) {
      wr.fail('secretFile', `cannot read ${secretFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const w = readWebhookFields(wr, secret, secretField);
  return w === null ? null : { ...w, secretFile: secretField === 'secretFile' ? secretFile : null };
}

export function readWebhooks(ar: FieldReader, baseDir: string): WebhookConfig[] {
  const raw = ar.obj['webhooks'];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    ar.fail('webhooks', `must be an array of endpoints, got ${typeName(raw)}`);
    return [];
  }
  const out: WebhookConfig[] = [];
  const ids = new Map<string, number>();
  raw.forEach((item: unknown, i) => {
    const wr = FieldReader.of(ar.issues, pathOf(ar.at('webhooks'), i), item, FIELDS);
    if (!wr) return;
    const w = readWebhook(wr, baseDir);
    if (w === null) return;
    if (ids.has(w.id)) wr.fail('id', `duplicate webhook id ${JSON.stringify(w.id)} (also ${pathOf(ar.at('webhooks'), ids.get(w.id)!)})`);
    else {
      ids.set(w.id, i);
      out.push(w);
    }
  });
  return out;
}
