// The local store's webhook endpoints: a JournalMap file (<data>/store/webhooks.jsonl). One relay: a change is
// announced to the listeners once it is durable.
import type { JournalMap } from '../storage/journal-map.js';
import type { StoredWebhook, WebhookEndpointStore } from './store.js';
import { WebhookChangeListeners, webhookKey, webhooksOf } from './webhook-check.js';

export class LocalWebhooks implements WebhookEndpointStore {
  private readonly listeners = new WebhookChangeListeners();

  constructor(private readonly journal: JournalMap<StoredWebhook>) {}

  async put(webhook: StoredWebhook): Promise<void> {
    await this.journal.put(webhookKey(webhook.account, webhook.id), { ...webhook, events: [...webhook.events] });
    this.listeners.notify();
  }

  get(account: string, id: string): StoredWebhook | null {
    return this.journal.get(webhookKey(account, id)) ?? null;
  }

  list(account: string): StoredWebhook[] {
    return webhooksOf(this.journal.values(), account);
  }

  all(): StoredWebhook[] {
    return [...this.journal.values()];
  }

  async delete(account: string, id: string): Promise<boolean> {
    const deleted = await this.journal.delete(webhookKey(account, id));
    if (deleted) this.listeners.notify();
    return deleted;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }
}
