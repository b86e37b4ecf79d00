// The events of the most recent messages, in memory, so a message's timeline (GET /api/messages/{id}) is a map
// lookup instead of a scan of the event log. Fed by the EventRecorder with exactly the events the log took.
// Bounded twice: at most maxMessages messages (the oldest-inserted leaves first) and maxEventsPerMessage events
// each. An entry is complete only when its first event was `accepted` and none was left out; anything else (a
// message accepted before this process started, or evicted and seen again by a late open or bounce) is read
// from the log instead.
import type { RelayEvent } from '../storage/event-log.js';

export interface RecentMessagesOptions {
  /** Messages kept; default 10,000. */
  maxMessages?: number;
  /** Events kept per message; default 500 (a message with more is read from the log). */
  maxEventsPerMessage?: number;
}

interface Entry {
  events: RelayEvent[];
  complete: boolean;
}

export class RecentMessages {
  private readonly entries = new Map<string, Entry>();
  private readonly maxMessages: number;
  private readonly maxEventsPerMessage: number;

  constructor(o: RecentMessagesOptions = {}) {
    this.maxMessages = Math.max(1, o.maxMessages ?? 10_000);
    this.maxEventsPerMessage = Math.max(1, o.maxEventsPerMessage ?? 500);
  }

  /** Takes one event as the log took it (its time stamped); events without a message id are not kept. */
  record(event: RelayEvent): void {
    const id = event.id;
    if (id === undefined) return;
    let entry = this.entries.get(id);
    if (entry === undefined) {
      if (this.entries.size >= this.maxMessages) this.entries.delete(this.entries.keys().next().value!);
      entry = { events: [], complete: event.type === 'accepted' };
      this.entries.set(id, entry);
    }
    if (entry.events.length >= this.maxEventsPerMessage) {
      entry.complete = false;
      return;
    }
    entry.events.push(event);
  }

  /** The message's events, oldest first, when this index holds all of them; null otherwise. */
  complete(id: string): readonly RelayEvent[] | null {
    const entry = this.entries.get(id);
    return entry?.complete ? entry.events : null;
  }

  /** Whatever this index holds of the message (possibly only its latest events), oldest first. */
  partial(id: string): readonly RelayEvent[] {
    return this.entries.get(id)?.events ?? [];
  }

  get size(): number {
    return this.entries.size;
  }
}
