// A delivery stack as the relay wires it — real spool, scheduler, RouteSmtp, event log and suppression list in a
// fresh temp folder — driven by a ManualClock, against a real upstream the test starts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DeliveryScheduler } from '../../src/relay/delivery/scheduler.js';
import { EventLog, type StoredEvent } from '../../src/relay/storage/event-log.js';
import { SuppressionList } from '../../src/relay/storage/suppression-list.js';
import { RouteSmtp } from '../../src/relay/delivery/route-smtp.js';
import { Spool, createSpoolId, type SpoolEntry } from '../../src/relay/storage/spool/index.js';
import type { QueueConfig, SmtpRouteConfig } from '../../src/relay/config/index.js';
import type { Route } from '../../src/relay/delivery/route.js';
import type { SmtpClientTimeouts } from '../../src/protocol/client/smtp-client.js';
import { ManualClock } from './manual-clock.js';

export const ACCOUNT = 'acme';
export const ROUTE = 'smarthost';
export const RETRY_MIN_MS = 60_000;

export const TEST_TIMEOUTS: Partial<SmtpClientTimeouts> = {
  connectMs: 2000, greetingMs: 2000, commandMs: 2000, mailMs: 2000, rcptMs: 2000, dataInitMs: 2000, dataBlockMs: 2000, dataEndMs: 2000,
};

export function smtpRoute(port: number, patch: Partial<SmtpRouteConfig> = {}): SmtpRouteConfig {
  return {
    type: 'smtp', host: '127.0.0.1', port, tls: 'none', verifyCertificate: true, caFile: null, username: null, password: null,
    poolSize: 2, maxMessagesPerConnection: 100, envelopeFrom: null, dkim: true, returnPath: null, ...patch,
  };
}

export interface DeliveryHarness {
  dir: string;
  clock: ManualClock;
  spool: Spool;
  scheduler: DeliveryScheduler;
  events: EventLog;
  suppression: SuppressionList;
  route: Route;
  /** Replaces the route, as a configuration reload does. */
  setRoute(route: Route): void;
  /** Spools one message with one .eml per recipient and tells the scheduler. */
  enqueue(recipients: string[], subject?: string): Promise<SpoolEntry>;
  /** Waits until nothing is in flight or ready. */
  settle(): Promise<void>;
  /** Moves the clock and waits for the attempts that fall due. */
  advance(ms: number): Promise<void>;
  /** Every event of the message, oldest first. */
  eventsOf(id: string): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

export function testRoute(config: SmtpRouteConfig, timeouts: Partial<SmtpClientTimeouts> = TEST_TIMEOUTS): RouteSmtp {
  return new RouteSmtp(ROUTE, config, { clientName: 'relay.test', timeouts, idleTimeoutMs: 5000 });
}

export async function startDeliveryHarness(config: SmtpRouteConfig, options: { queue?: Partial<QueueConfig>; timeouts?: Partial<SmtpClientTimeouts>; random?: () => number } = {}): Promise<DeliveryHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-delivery-'));
  const clock = new ManualClock();
  const spool = await Spool.open(join(dir, 'spool'));
  const events = await EventLog.open(join(dir, 'events'));
  const suppression = await SuppressionList.open(join(dir, 'suppression'));
  let route: Route = testRoute(config, options.timeouts);
  const queue: QueueConfig = { maxAgeMs: 48 * 3600_000, retryMinMs: RETRY_MIN_MS, retryMaxMs: 3600_000, maxPendingBytes: 1 << 30, maxPendingMessages: 100_000, hold: false, ...options.queue };
  const scheduler = new DeliveryScheduler({
    spool,
    routeOf: (a, r) => (a === ACCOUNT && r === ROUTE ? route : null),
    queue,
    logger: pino({ level: 'silent' }),
    clock,
    random: options.random ?? (() => 0.5),
    events,
    suppression,
  });
  let n = 0;
  const h: DeliveryHarness = {
    dir,
    clock,
    spool,
    scheduler,
    events,
    suppression,
    get route() {
      return route;
    },
    setRoute(next) {
      void route.close();
      route = next;
    },
    async enqueue(recipients, subject = `message ${++n}`) {
      const entry = await spool.enqueue({
        id: createSpoolId(clock.now()),
        account: ACCOUNT,
        route: ROUTE,
        tag: 'welcome',
        from: 'sender@example.com',
        createdAt: clock.now(),
        recipients: recipients.map((r) => ({
          recipient: r,
          body: Buffer.from(`From: sender@example.com\r\nTo: ${r}\r\nSubject: ${subject}\r\nContent-Type: text/html\r\n\r\n<p>Hello ${r}</p>\r\n`),
        })),
      });
      scheduler.notify(entry);
      return entry;
    },
    async settle() {
      await scheduler.whenIdle();
      await events.flush();
    },
    async advance(ms) {
      clock.advance(ms);
      await h.settle();
    },
    async eventsOf(id) {
      const page = await events.read({ limit: 1000 });
      return page.events.filter((e) => e.id === id).reverse();
    },
    async close() {
      await scheduler.stop();
      await route.close();
      await events.close();
      await suppression.close();
      await spool.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}
