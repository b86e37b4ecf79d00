// A real admin server over real stores in a fresh temp folder: EventLog, SuppressionList, TagStats and
// RelayMetrics, with events fed through the EventRecorder the relay uses.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminServer } from '../../src/relay/admin/admin-server.js';
import { EventRecorder } from '../../src/relay/admin/event-recorder.js';
import type { Readiness } from '../../src/relay/admin/readiness.js';
import { RelayMetrics } from '../../src/relay/admin/relay-metrics.js';
import { TagStats } from '../../src/relay/admin/stats.js';
import { EventLog, type RelayEvent } from '../../src/relay/storage/event-log.js';
import { SuppressionList } from '../../src/relay/storage/suppression-list.js';

export const TOKEN = 'test-admin-token-0123456789';

export interface AdminFixture {
  dir: string;
  base: string;
  now: number;
  log: EventLog;
  stats: TagStats;
  metrics: RelayMetrics;
  suppressions: SuppressionList;
  recorder: EventRecorder;
  server: AdminServer;
  readiness: { current: () => Readiness | Promise<Readiness> };
  /** Appends events and waits until they are on disk. */
  feed(events: RelayEvent[]): Promise<void>;
  close(): Promise<void>;
}

export async function startAdminFixture(o: { now?: number; accounts?: string[] } = {}): Promise<AdminFixture> {
  const now = o.now ?? Date.parse('2026-03-10T12:00:00Z');
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-admin-'));
  const log = await EventLog.open(join(dir, 'events'));
  const stats = new TagStats({ now: () => now });
  const metrics = new RelayMetrics({ spoolDepth: () => ({ messages: 0, oldestAgeSeconds: 0 }) });
  const suppressions = await SuppressionList.open(join(dir, 'suppressions'));
  const recorder = new EventRecorder(log, stats, metrics);
  const readiness = { current: (): Readiness | Promise<Readiness> => ({ ready: true }) };
  const accounts = o.accounts ?? ['acme', 'beta'];
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    metrics,
    stats,
    events: log,
    suppressions,
    accounts: () => accounts,
    readiness: () => readiness.current(),
    now: () => now,
  });
  const addr = await server.listen();
  return {
    dir,
    base: `http://127.0.0.1:${addr.port}`,
    now,
    log,
    stats,
    metrics,
    suppressions,
    recorder,
    server,
    readiness,
    async feed(events) {
      for (const e of events) recorder.append(e);
      await log.flush();
    },
    async close() {
      await server.close();
      await log.close();
      await suppressions.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
