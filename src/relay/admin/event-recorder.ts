// The EventSink the relay hands to its accept path and delivery scheduler: each event goes to the event
// log and, only when the log took it, into the per-tag stats, so the stats always equal what a rebuild
// from the log would give. Metrics count every event (a full log buffer must not hide traffic), and
// delivery attempts with their latency are read from the delivered/deferred/failed events. The recent-message
// index (message activity) takes the same events as the stats: those the log took.
import type { EventSink, RelayEvent } from '../storage/event-log.js';
import type { RecentMessages } from './message-activity-index.js';
import type { RelayMetrics } from './relay-metrics.js';
import type { TagStats } from './stats.js';

export class EventRecorder implements EventSink {
  constructor(
    private readonly log: EventSink,
    private readonly stats: TagStats,
    private readonly metrics: RelayMetrics | null = null,
    private readonly recent: RecentMessages | null = null,
  ) {}

  append(event: RelayEvent): boolean {
    // Stamp the time once, so the log and the stats put the event in the same minute.
    const stamped = event.time === undefined ? { ...event, time: Date.now() } : event;
    const taken = this.log.append(stamped);
    if (taken) {
      this.stats.record(stamped);
      this.recent?.record(stamped);
    }
    const m = this.metrics;
    if (m) {
      m.recipientEvent(stamped);
      if (!taken) m.eventDropped();
      const t = stamped.type;
      if ((t === 'delivered' || t === 'deferred' || t === 'failed') && stamped.route !== undefined && stamped.latencyMs !== undefined) {
        m.deliveryAttempt(stamped.route, t, stamped.latencyMs / 1000, stamped.destination);
      }
    }
    return taken;
  }

  written(): Promise<void> {
    return this.log.written?.() ?? Promise.resolve();
  }
}
