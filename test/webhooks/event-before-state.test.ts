// The kill -9 finding (docs/feedback.md, "Webhooks"): the event log buffers events up to flushIntervalMs, the
// spool writes a recipient's state at once; a kill -9 between the two kept "delivered" in the spool and lost the
// event, so no webhook would ever tell the app. The scheduler now writes the event to the file first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DeliveryScheduler } from '../../src/relay/delivery/scheduler.js';
import type { Route } from '../../src/relay/delivery/route.js';
import { EventLog } from '../../src/relay/storage/event-log.js';
import { Spool, createSpoolId } from '../../src/relay/storage/spool/index.js';

test('a recipient\'s event is in the event log file before the spool records its delivered, failed or deferred state', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-event-order-'));
  const spool = await Spool.open(join(dir, 'spool'));
  // An hour between batch writes: only the scheduler's explicit write can put the event in the file in time.
  const log = await EventLog.open(join(dir, 'events'), { flushIntervalMs: 3_600_000 });
  const file = join(dir, 'events', 'events-00000001.jsonl');
  const outcomes: Record<string, 'delivered' | 'failed' | 'deferred'> = { 'd@example.com': 'delivered', 'f@example.com': 'failed', 'q@example.com': 'deferred' };
  const route: Route = {
    name: 'main',
    async deliver(m) {
      return m.recipients.map((r) => ({ recipient: r.address, status: outcomes[r.address]!, reply: `${outcomes[r.address]} reply` }));
    },
    async close() {},
  } as Route;
  const checked: string[] = [];
  const inFile = (recipient: string, type: string): boolean =>
    readFileSync(file, 'utf8').split('\n').some((l) => l.includes(`"recipient":"${recipient}"`) && l.includes(`"type":"${type}"`));
  for (const op of ['complete', 'defer'] as const) {
    const original = spool[op].bind(spool) as (...a: unknown[]) => Promise<void>;
    (spool as unknown as Record<string, unknown>)[op] = (id: string, i: number, ...rest: unknown[]): Promise<void> => {
      const recipient = spool.get(id)!.recipients[i]!.recipient;
      assert.ok(inFile(recipient, outcomes[recipient]!), `the ${outcomes[recipient]} event of ${recipient} is in the file before spool.${op}`);
      checked.push(recipient);
      return original(id, i, ...rest);
    };
  }
  const scheduler = new DeliveryScheduler({
    spool, routeOf: () => route, events: log, logger: pino({ level: 'silent' }),
    queue: { maxAgeMs: 3600_000, retryMinMs: 60_000, retryMaxMs: 3600_000, maxPendingBytes: 1 << 30, maxPendingMessages: 1000, hold: false },
  });
  try {
    const entry = await spool.enqueue({
      id: createSpoolId(Date.now()), account: 'acme', route: 'main', tag: 'untagged', from: 's@example.com', createdAt: Date.now(),
      recipients: Object.keys(outcomes).map((to) => ({ recipient: to, body: Buffer.from('Subject: x\r\n\r\n<p>hi</p>\r\n') })),
    });
    scheduler.notify(entry);
    await scheduler.whenIdle();
    assert.deepEqual(checked.sort(), Object.keys(outcomes).sort());
  } finally {
    await scheduler.stop();
    await spool.close();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
});
