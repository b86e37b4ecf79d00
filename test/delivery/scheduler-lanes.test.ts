// The scheduler's lanes: a route gets at most its concurrency (an SMTP route's pool size) of messages at once,
// and a route that is stuck does not hold back another route's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { DeliveryScheduler } from '../../src/relay/delivery/scheduler.js';
import { RouteFile } from '../../src/relay/delivery/route-file.js';
import { Spool, createSpoolId } from '../../src/relay/storage/spool/index.js';
import type { Route } from '../../src/relay/delivery/route.js';
import { ManualClock } from './manual-clock.js';
import { smtpRoute, testRoute } from './delivery-harness.js';
import { startSmtpServerUpstream } from './upstream-smtp-server.js';

test('a stuck smtp route holds only its own lane (pool size 1): the file route delivers meanwhile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-lanes-'));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const upstream = await startSmtpServerUpstream({ rcptGate: gate });
  const spool = await Spool.open(join(dir, 'spool'));
  const routes: Record<string, Route> = {
    slow: testRoute(smtpRoute(upstream.port, { poolSize: 1 })),
    outbox: new RouteFile('outbox', join(dir, 'outbox')),
  };
  const clock = new ManualClock();
  const scheduler = new DeliveryScheduler({
    spool,
    routeOf: (_a, r) => routes[r] ?? null,
    queue: { maxAgeMs: 3600_000, retryMinMs: 60_000, retryMaxMs: 3600_000, maxPendingBytes: 1 << 30, maxPendingMessages: 1000, hold: false },
    logger: pino({ level: 'silent' }),
    clock,
    concurrency: 4,
  });
  const enqueue = async (route: string, to: string): Promise<string> => {
    const entry = await spool.enqueue({
      id: createSpoolId(clock.now()), account: 'acme', route, tag: 'untagged', from: 's@example.com', createdAt: clock.now(),
      recipients: [{ recipient: to, body: Buffer.from(`Subject: ${to}\r\n\r\n<p>hi</p>\r\n`) }],
    });
    scheduler.notify(entry);
    return entry.id;
  };
  try {
    const slow = [await enqueue('slow', 'a1@example.com'), await enqueue('slow', 'a2@example.com'), await enqueue('slow', 'a3@example.com')];
    const fast = await enqueue('outbox', 'b@example.com');
    while (spool.get(fast) !== null) await nextTurn();
    assert.equal((await readdir(join(dir, 'outbox'))).filter((f) => f.endsWith('.eml')).length, 1);
    assert.deepEqual(scheduler.load(), { active: 1, ready: 2, waiting: 0 }, 'one slow message in flight, two waiting in its lane');
    release();
    await scheduler.whenIdle();
    assert.ok(slow.every((id) => spool.get(id) === null));
    assert.equal(upstream.messages.length, 3);
  } finally {
    release();
    await scheduler.stop();
    for (const r of Object.values(routes)) await r.close();
    await spool.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
});
