// The relay's metrics, one named method per thing the relay observes, so call sites read as events
// ("a session opened") and the metric names, labels and buckets are decided in this one file.
import { LATENCY_BUCKETS_SECONDS, MetricsRegistry, SIZE_BUCKETS_BYTES, type Counter, type Gauge, type Histogram } from './metrics.js';
import type { EventType } from '../storage/event-log.js';
import type { AcceptObserver } from '../accept/accept-observer.js';
import { TopLabels } from './top-labels.js';

export interface SpoolDepth {
  messages: number;
  /** Age of the oldest message still in the spool; 0 when empty. */
  oldestAgeSeconds: number;
}

/** The spool gauges from the spool's held messages (the relay passes its Spool). */
export function spoolDepthOf(spool: { pending(): readonly { createdAt: number }[] }, now: number = Date.now()): SpoolDepth {
  const pending = spool.pending();
  let oldest = now;
  for (const m of pending) if (m.createdAt < oldest) oldest = m.createdAt;
  return { messages: pending.length, oldestAgeSeconds: Math.max(0, (now - oldest) / 1000) };
}

export interface RelayMetricsOptions {
  /** Read at every scrape; without it the spool gauges keep the last spoolDepth() values. */
  spoolDepth?: () => SpoolDepth;
  /** Label cardinality bound of the per-account, per-tag series; default 1000. */
  maxAccountTagSeries?: number;
  /** Destinations (mx routes) that keep their own label, the busiest ones; the rest are "other". Default 20. */
  topDestinations?: number;
  /** The runtime store's state, read at every scrape. */
  storeHealth?: () => { up: boolean; pendingWrites: number };
}

export const DEFAULT_TOP_DESTINATIONS = 20;

/** The tracking routes answer in well under a millisecond (a cached record) to a few (a disk read). */
const TRACKING_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5];

/** How a session ended, for sessions_closed_total. Free text is bounded by the metric's cardinality limit. */
export type SessionCloseReason = 'quit' | 'timeout' | 'error' | 'limit' | 'shutdown' | 'protocol' | string;

export class RelayMetrics implements AcceptObserver {
  readonly registry = new MetricsRegistry();
  private readonly sessionsOpened: Counter;
  private readonly sessionsClosed: Counter;
  private readonly sessionsActive: Gauge;
  private readonly messages: Counter;
  private readonly messagesAccepted: Counter;
  private readonly messagesRejected: Counter;
  private readonly recipients: Counter;
  private readonly acceptedBytes: Counter;
  private readonly messageSize: Histogram;
  private readonly messageRecipients: Histogram;
  private readonly replies: Counter;
  private readonly spoolMessages: Gauge;
  private readonly spoolOldest: Gauge;
  private readonly deliveryAttempts: Counter;
  private readonly deliveryDuration: Histogram;
  private readonly destinationAttempts: Counter;
  private readonly destinationLabels: TopLabels;
  private readonly tlsHandshakes: Counter;
  private readonly limitsHit: Counter;
  private readonly eventsDropped: Counter;
  private readonly bounces: Counter;
  private readonly feedbackReports: Counter;
  private readonly trackingOpens: Counter;
  private readonly trackingClicks: Counter;
  private readonly trackingDuration: Histogram;
  private readonly startTime: Gauge;
  private readonly residentMemory: Gauge;
  private readonly heapUsed: Gauge;
  private readonly storeUp: Gauge;
  private readonly storePending: Gauge;

  constructor(o: RelayMetricsOptions = {}) {
    const r = this.registry;
    this.sessionsOpened = r.counter({ name: 'txrelay_sessions_opened_total', help: 'SMTP sessions opened (connections accepted).' });
    this.sessionsClosed = r.counter({ name: 'txrelay_sessions_closed_total', help: 'SMTP sessions closed, by reason.', labelNames: ['reason'], maxSeries: 50 });
    this.sessionsActive = r.gauge({ name: 'txrelay_sessions_active', help: 'SMTP sessions open now.' });
    this.messages = r.counter({ name: 'txrelay_messages_total', help: 'Messages at end of DATA, by outcome (accepted or rejected).', labelNames: ['outcome'], maxSeries: 10 });
    this.messagesAccepted = r.counter({
      name: 'txrelay_messages_accepted_total',
      help: 'Messages accepted into the spool, by account and tag.',
      labelNames: ['account', 'tag'],
      maxSeries: o.maxAccountTagSeries ?? 1000,
    });
    this.messagesRejected = r.counter({ name: 'txrelay_messages_rejected_total', help: 'Messages refused at end of DATA, by SMTP reply code.', labelNames: ['code'], maxSeries: 100 });
    this.recipients = r.counter({ name: 'txrelay_recipients_total', help: 'Recipient events, by outcome (accepted, delivered, deferred, failed, rejected, suppressed, bounced, complained, unsubscribed).', labelNames: ['outcome'], maxSeries: 20 });
    this.acceptedBytes = r.counter({ name: 'txrelay_accepted_bytes_total', help: 'Bytes of DATA of accepted messages.' });
    this.messageSize = r.histogram({ name: 'txrelay_message_size_bytes', help: 'Size of accepted messages as received.', buckets: SIZE_BUCKETS_BYTES });
    this.messageRecipients = r.histogram({ name: 'txrelay_message_recipients', help: 'Recipients per accepted message.', buckets: [1, 2, 5, 10, 25, 50, 100] });
    this.replies = r.counter({ name: 'txrelay_smtp_replies_total', help: 'SMTP replies sent, by code.', labelNames: ['code'], maxSeries: 100 });
    this.spoolMessages = r.gauge({ name: 'txrelay_spool_messages', help: 'Messages in the spool (not yet delivered or failed for every recipient).' });
    this.spoolOldest = r.gauge({ name: 'txrelay_spool_oldest_age_seconds', help: 'Age of the oldest message in the spool.' });
    this.deliveryAttempts = r.counter({ name: 'txrelay_delivery_attempts_total', help: 'Delivery attempts per recipient, by route and outcome.', labelNames: ['route', 'outcome'], maxSeries: 300 });
    this.deliveryDuration = r.histogram({
      name: 'txrelay_delivery_duration_seconds',
      help: 'Time a route took to deliver (or give up on) a message.',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS_SECONDS,
      maxSeries: 100,
    });
    const topDestinations = o.topDestinations ?? DEFAULT_TOP_DESTINATIONS;
    this.destinationAttempts = r.counter({
      name: 'txrelay_destination_attempts_total',
      help: `Delivery attempts per recipient on mx routes, by route, destination (its MX hosts; the ${topDestinations} busiest keep their name, the rest are "other") and outcome.`,
      labelNames: ['route', 'destination', 'outcome'],
      maxSeries: Math.max(300, (topDestinations + 1) * 3 * 10),
    });
    // A destination leaving the top gives its series up; its later attempts count under "other".
    this.destinationLabels = new TopLabels(topDestinations, (d) => this.destinationAttempts.removeWhere('destination', d));
    this.tlsHandshakes = r.counter({ name: 'txrelay_tls_handshakes_total', help: 'STARTTLS handshakes completed, by protocol version (failed handshakes as "failed").', labelNames: ['version'], maxSeries: 10 });
    this.limitsHit = r.counter({ name: 'txrelay_limits_hit_total', help: 'Times a configured limit refused or ended something, by limit name.', labelNames: ['limit'], maxSeries: 50 });
    this.eventsDropped = r.counter({ name: 'txrelay_events_dropped_total', help: 'Events the event log could not take (buffer full or disk error); they are missing from the stats API.' });
    this.bounces = r.counter({ name: 'txrelay_bounces_total', help: 'Bounce reports received on the inbound listener, by kind (hard: the address was suppressed; soft).', labelNames: ['kind'], maxSeries: 2 });
    this.feedbackReports = r.counter({
      name: 'txrelay_feedback_reports_total',
      help: 'Reports received on the inbound listener, by result (recorded, ignored: nothing to record or not ours, refused: over a limit).',
      labelNames: ['result'],
      maxSeries: 5,
    });
    this.trackingOpens = r.counter({ name: 'txrelay_tracking_opens_total', help: 'Open pixels fetched (opened events), by machine ("true": a scanner or privacy proxy, docs/tracking.md).', labelNames: ['machine'], maxSeries: 2 });
    this.trackingClicks = r.counter({ name: 'txrelay_tracking_clicks_total', help: 'Tracked links followed (clicked events), by machine ("true": a scanner or privacy proxy, docs/tracking.md).', labelNames: ['machine'], maxSeries: 2 });
    this.trackingDuration = r.histogram({
      name: 'txrelay_tracking_request_duration_seconds',
      help: 'Time the public listener\'s tracking routes took to answer (token check, record read, event appended), by endpoint (open, click) and HTTP status.',
      labelNames: ['endpoint', 'code'],
      buckets: TRACKING_BUCKETS_SECONDS,
      maxSeries: 12,
    });
    this.startTime = r.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, in seconds.' });
    this.residentMemory = r.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.' });
    this.heapUsed = r.gauge({ name: 'nodejs_heap_used_bytes', help: 'V8 heap in use, in bytes.' });
    this.storeUp = r.gauge({ name: 'txrelay_store_up', help: 'Whether the runtime store is reachable (1) or the relay runs on its caches and per-relay limits (0).' });
    this.storePending = r.gauge({ name: 'txrelay_store_pending_writes', help: 'Runtime store writes made while it was down, waiting to be written.' });

    this.startTime.set({}, Math.round((Date.now() - process.uptime() * 1000) / 1000));
    const spoolDepth = o.spoolDepth;
    const storeHealth = o.storeHealth;
    r.onCollect(() => {
      if (storeHealth) {
        const h = storeHealth();
        this.storeUp.set({}, h.up ? 1 : 0);
        this.storePending.set({}, h.pendingWrites);
      }
      const mem = process.memoryUsage();
      this.residentMemory.set({}, mem.rss);
      this.heapUsed.set({}, mem.heapUsed);
      if (spoolDepth) {
        const d = spoolDepth();
        this.spoolDepth(d.messages, d.oldestAgeSeconds);
      }
    });
  }

  sessionOpened(): void {
    this.sessionsOpened.inc();
    this.sessionsActive.inc();
  }

  sessionClosed(reason: SessionCloseReason): void {
    this.sessionsClosed.inc({ reason });
    this.sessionsActive.dec();
  }

  /** A message was durably spooled (per-recipient counts come from recipientEvent, so they match the event log). */
  messageAccepted(account: string, tag: string, bytes: number, recipients: number): void {
    this.messages.inc({ outcome: 'accepted' });
    this.messagesAccepted.inc({ account, tag });
    this.acceptedBytes.inc({}, bytes);
    this.messageSize.observe({}, bytes);
    this.messageRecipients.observe({}, recipients);
  }

  messageRejected(code: number): void {
    this.messages.inc({ outcome: 'rejected' });
    this.messagesRejected.inc({ code: String(code) });
  }

  reply(code: number): void {
    this.replies.inc({ code: String(code) });
  }

  /** TLS version as Node names it ("TLSv1.3"), or "failed". */
  tlsHandshake(version: string): void {
    this.tlsHandshakes.inc({ version });
  }

  /** A limit's configuration name, e.g. "maxRecipients", "maxConnectionsPerAddress", "rate". */
  limitHit(name: string): void {
    this.limitsHit.inc({ limit: name });
  }

  /** One recipient's delivery attempt on a route; `destination` when the route has destinations (mx). */
  deliveryAttempt(route: string, outcome: 'delivered' | 'deferred' | 'failed', seconds: number, destination?: string): void {
    this.deliveryAttempts.inc({ route, outcome });
    this.deliveryDuration.observe({ route }, seconds);
    if (destination !== undefined) this.destinationAttempts.inc({ route, destination: this.destinationLabels.labelOf(destination), outcome });
  }

  /** Every event appended to the event log (the same stream the per-tag stats fold). */
  recipientEvent(event: { type: EventType; hard?: boolean; machine?: boolean }): void {
    this.recipients.inc({ outcome: event.type });
    if (event.type === 'bounced') this.bounces.inc({ kind: event.hard === true ? 'hard' : 'soft' });
    else if (event.type === 'opened') this.trackingOpens.inc({ machine: event.machine === true ? 'true' : 'false' });
    else if (event.type === 'clicked') this.trackingClicks.inc({ machine: event.machine === true ? 'true' : 'false' });
  }

  /** One request to a tracking route of the public listener ("/o/", "/c/"), answered with `status`. */
  trackingRequest(endpoint: 'open' | 'click', status: number, seconds: number): void {
    this.trackingDuration.observe({ endpoint, code: String(status) }, seconds);
  }

  /** One message received on the inbound listener (bounces, complaints). */
  feedbackReport(result: 'recorded' | 'ignored' | 'refused'): void {
    this.feedbackReports.inc({ result });
  }

  /** The event log refused an event (EventLog.append returned false). */
  eventDropped(): void {
    this.eventsDropped.inc();
  }

  spoolDepth(messages: number, oldestAgeSeconds: number): void {
    this.spoolMessages.set({}, messages);
    this.spoolOldest.set({}, oldestAgeSeconds);
  }

  exposition(): string {
    return this.registry.exposition();
  }
}
