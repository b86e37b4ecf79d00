// A record read back from a file or Redis is a stored webhook endpoint (anything else is skipped); its key; and the
// listeners told when the stored endpoints change.
import type { StoredWebhook } from './store.js';

export function isStoredWebhook(v: unknown): v is StoredWebhook {
  const w = v as StoredWebhook;
  return (
    typeof w === 'object' && w !== null &&
    typeof w.account === 'string' && typeof w.id === 'string' && typeof w.url === 'string' && typeof w.secret === 'string' &&
    Array.isArray(w.events) && w.events.every((e) => typeof e === 'string') &&
    Number.isInteger(w.timeoutMs) && Number.isInteger(w.maxInFlight) && Number.isInteger(w.disableAfterMs) &&
    typeof w.createdAt === 'number' && typeof w.updatedAt === 'number' && typeof w.revision === 'string'
  );
}

/** The key of an endpoint in a store: account and id (NUL is in neither). */
export function webhookKey(account: string, id: string): string {
  return `${account}\u0000${id}`;
}

/** The account's endpoints of a map keyed by webhookKey, by id. */
export function webhooksOf(all: Iterable<StoredWebhook>, account: string): StoredWebhook[] {
  const out: StoredWebhook[] = [];
  for (const w of all) if (w.account === account) out.push(w);
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** True when two maps hold the same endpoints at the same revisions. */
export function sameWebhooks(a: ReadonlyMap<string, StoredWebhook>, b: ReadonlyMap<string, StoredWebhook>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, w] of a) if (b.get(k)?.revision !== w.revision) return false;
  return true;
}

/** The listeners of WebhookEndpointStore.onChange; one that throws is logged by nobody and skipped. */
export class WebhookChangeListeners {
  private readonly listeners = new Set<() => void>();

  add(listener: () => void): () => void {
    const own = (): void => listener(); // a listener added twice is called twice, removed one at a time
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  notify(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // the contract says listeners do not throw; one that does must not stop the others
      }
    }
  }
}
