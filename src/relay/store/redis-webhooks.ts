// The Redis store's webhook endpoints, as its templates: the hash <p>webhooks (account NUL id -> StoredWebhook JSON)
// written by the write script, which announces each change on the channel; every relay's cache applies it and
// tells its listeners (the webhook dispatcher), so an endpoint made on one relay posts from every relay within a second.
// Redis down: writes are refused with StoreUnavailableError (the management API answers 503), reads go on from the cache.
import type { Change } from './redis-keys.js';
import type { StoredWebhook, WebhookEndpointStore } from './store.js';
import { WebhookChangeListeners, webhookKey, webhooksOf } from './webhook-check.js';

/** What this part needs of the RedisStore (its current cache, its key and its one write path, which updates the cache). */
export interface RedisWebhookHost {
  readonly cache: { readonly webhooks: Map<string, StoredWebhook> };
  readonly keys: { readonly webhooks: string };
  write(what: string, key: string, op: 'hset' | 'hdel', operands: string[], change: Change): Promise<unknown[]>;
}

export class RedisWebhooks implements WebhookEndpointStore {
  private readonly listeners = new WebhookChangeListeners();

  constructor(private readonly store: RedisWebhookHost) {}

  async put(webhook: StoredWebhook): Promise<void> {
    const w = { ...webhook, events: [...webhook.events] };
    const key = webhookKey(w.account, w.id);
    await this.store.write(`webhook endpoint ${w.id}`, this.store.keys.webhooks, 'hset', [key, JSON.stringify(w)], { k: 'wh', put: w });
    this.listeners.notify();
  }

  get(account: string, id: string): StoredWebhook | null {
    return this.store.cache.webhooks.get(webhookKey(account, id)) ?? null;
  }

  list(account: string): StoredWebhook[] {
    return webhooksOf(this.store.cache.webhooks.values(), account);
  }

  all(): StoredWebhook[] {
    return [...this.store.cache.webhooks.values()];
  }

  async delete(account: string, id: string): Promise<boolean> {
    const key = webhookKey(account, id);
    if (!this.store.cache.webhooks.has(key)) return false;
    await this.store.write(`deletion of webhook endpoint ${id}`, this.store.keys.webhooks, 'hdel', [key], { k: 'wh', del: key });
    this.listeners.notify();
    return true;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  /** True when the cache already shows this change (the echo of this relay's own write): no news for the listeners. */
  holds(change: Extract<Change, { k: 'wh' }>): boolean {
    if ('put' in change) return this.store.cache.webhooks.get(webhookKey(change.put.account, change.put.id))?.revision === change.put.revision;
    return !this.store.cache.webhooks.has(change.del);
  }

  /** The store applied a change of another relay, or reloaded its cache with different endpoints. */
  changed(): void {
    this.listeners.notify();
  }
}
