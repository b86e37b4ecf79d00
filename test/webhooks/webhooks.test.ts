import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import pino from 'pino';
import { AdminServer } from '../../src/relay/admin/admin-server.js';
import { TagStats } from '../../src/relay/admin/stats.js';
import type { AccountConfig, WebhookConfig } from '../../src/relay/config/index.js';
import { EventLog, type RelayEvent } from '../../src/relay/storage/event-log.js';
import { WebhookDispatcher, generateWebhookSecret } from '../../src/relay/webhooks/index.js';
import { ManualClock } from '../delivery/manual-clock.js';
import { waitUntil } from '../reliability/relay-child.js';
import { WebhookReceiver, type Answer } from './receiver.js';

const logger = pino({ level: 'silent' });
const SECRET = generateWebhookSecret();
const ALL = ['delivered', 'failed', 'deferred', 'suppressed', 'bounced', 'complained', 'unsubscribed'];

interface Rig {
  dir: string;
  log: EventLog;
  clock: ManualClock;
  receiver: WebhookReceiver;
  dispatcher: WebhookDispatcher;
  accounts: AccountConfig[];
  restart(): Promise<void>;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

function account(id: string, webhooks: WebhookConfig[]): AccountConfig {
  return {
    id, name: id, apiKeys: [], routes: {}, defaultRoute: null, templates: {}, rate: { perSecond: null, perDay: null }, senderDomains: null, dkim: [], unsubscribe: null, tracking: null, webhooks, retention: null,
  };
}

async function rig(answer: (n: number) => Answer, hook: Partial<WebhookConfig> = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-webhooks-'));
  const receiver = await new WebhookReceiver(SECRET).start();
  receiver.answer = answer;
  const log = await EventLog.open(join(dir, 'events'), { flushIntervalMs: 5 });
  const clock = new ManualClock(Date.now());
  const cfg: WebhookConfig = { id: 'app', url: receiver.url, events: ALL, secret: SECRET, secretFile: null, timeoutMs: 2000, maxInFlight: 4, disableAfterMs: 86_400_000, ...hook };
  const accounts = [account('a', [cfg]), account('b', [])];
  const start = (): Promise<WebhookDispatcher> =>
    WebhookDispatcher.start(accounts, { source: log, dir: join(dir, 'webhooks'), logger, clock, random: () => 0.5, saveDelayMs: 10 });
  const r: Rig = {
    dir, log, clock, receiver, accounts, dispatcher: await start(),
    async restart() {
      await r.dispatcher.stop();
      r.dispatcher = await start();
    },
  };
  open.push(async () => {
    await r.dispatcher.stop();
    await log.close();
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return r;
}

let seq = 0;
function delivered(over: Partial<RelayEvent> = {}): RelayEvent {
  seq++;
  return { type: 'delivered', id: `Q${seq}`, account: 'a', tag: 'receipt', route: 'main', recipient: `user${seq}@example.com`, reply: '250 2.0.0 Ok', attempt: 1, latencyMs: 12, ...over };
}

async function emit(r: Rig, ...events: RelayEvent[]): Promise<void> {
  for (const e of events) r.log.append(e);
  await r.log.written();
}

const status = (r: Rig) => r.dispatcher.list()[0]!;
const until = async (what: string, check: () => boolean, ms = 5000): Promise<void> => assert.ok(await waitUntil(check, ms, 5), `timed out waiting for ${what}`);

describe('webhooks', () => {
  it('signs each request so that the standardwebhooks library verifies it, with the Standard Webhooks body', async () => {
    const r = await rig(() => 'ok');
    await emit(r, delivered({ recipient: 'ann@example.com', id: 'QA' }));
    await until('one request', () => r.receiver.requests.length === 1);
    const got = r.receiver.requests[0]!;
    assert.equal(got.verified, true);
    assert.match(got.id, /^msg_[A-Za-z0-9_-]{32}$/);
    assert.equal(got.payload.type, 'message.delivered');
    assert.deepEqual(got.payload.data, { messageId: 'QA', account: 'a', tag: 'receipt', route: 'main', recipient: 'ann@example.com', attempt: 1, reply: '250 2.0.0 Ok' });
    assert.ok(!Number.isNaN(Date.parse(got.payload.timestamp)));
    // Stable JSON: keys sorted.
    assert.equal(got.body, JSON.stringify({ data: got.payload.data, timestamp: got.payload.timestamp, type: got.payload.type }));
  });

  it('sends only its account\'s events of the chosen types', async () => {
    const r = await rig(() => 'ok', { events: ['failed'] });
    await emit(r, delivered(), delivered({ type: 'failed', account: 'b' }), delivered({ type: 'accepted' }), delivered({ type: 'failed', reply: '550 5.1.1 no such user' }));
    await until('one request', () => r.receiver.requests.length === 1);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.receiver.requests.length, 1);
    assert.equal(r.receiver.requests[0]!.payload.data.reply, '550 5.1.1 no such user');
  });

  it('retries a 500 after a backoff of less than 30 s, with the same webhook-id, until a 2xx', async () => {
    const r = await rig((n) => (n < 2 ? '500' : 'ok'));
    await emit(r, delivered());
    await until('the first attempt', () => r.receiver.requests.length === 1 && status(r).state === 'retrying');
    const wait1 = Date.parse(status(r).nextRetryAt!) - r.clock.now();
    assert.ok(wait1 > 0 && wait1 <= 30_000, `first retry in ${wait1} ms`);
    r.clock.advance(wait1);
    await until('the second attempt', () => r.receiver.requests.length === 2 && status(r).nextRetryAt !== null);
    const wait2 = Date.parse(status(r).nextRetryAt!) - r.clock.now();
    assert.ok(wait2 > wait1, 'exponential backoff');
    r.clock.advance(wait2);
    await until('the third attempt acknowledged', () => r.receiver.requests.length === 3 && status(r).state === 'active' && status(r).pending === 0);
    const ids = new Set(r.receiver.requests.map((q) => q.id));
    assert.equal(ids.size, 1, 'one webhook-id for every retry');
    assert.ok(r.receiver.requests.every((q) => q.verified));
    assert.deepEqual(status(r).lastAttempts.map((a) => a.status), [500, 500, 200]);
    assert.equal(status(r).failingSince, null);
  });

  for (const [name, fault] of [['hangs (timeout)', 'hang'], ['closes the connection', 'close']] as const) {
    it(`retries when the receiver ${name}`, async () => {
      const r = await rig((n) => (n === 0 ? fault : 'ok'), { timeoutMs: 200 });
      await emit(r, delivered());
      await until('a failed attempt', () => status(r).state === 'retrying' && status(r).lastAttempts.length === 1, 3000);
      assert.equal(status(r).lastAttempts[0]!.status, null);
      if (fault === 'hang') assert.match(status(r).lastAttempts[0]!.error!, /timeout/);
      r.clock.advance(30_000);
      await until('the retry acknowledged', () => r.receiver.requests.length === 2 && status(r).pending === 0);
      assert.equal(r.receiver.requests[0]!.id, r.receiver.requests[1]!.id);
    });
  }

  it('waits for a slow receiver within the timeout (no retry), with at most maxInFlight requests at once, in log order', async () => {
    const r = await rig(() => ({ slowMs: 60 }), { maxInFlight: 2 });
    const events = Array.from({ length: 8 }, () => delivered());
    await emit(r, ...events);
    await until('eight requests', () => r.receiver.requests.length === 8 && status(r).pending === 0);
    assert.equal(r.receiver.maxInFlight, 2);
    assert.deepEqual(r.receiver.requests.map((q) => q.payload.data.recipient).sort(), events.map((e) => e.recipient).sort());
    // Within a window of two, order may swap; overall the log order holds.
    const order = r.receiver.requests.map((q) => events.findIndex((e) => e.recipient === q.payload.data.recipient));
    order.forEach((pos, k) => assert.ok(Math.abs(pos - k) <= 1, `request ${k} carried event ${pos}`));
  });

  it('disables the endpoint on 410, sends nothing more, and resumes at its cursor when enabled', async () => {
    const r = await rig((n) => (n === 0 ? '410' : 'ok'));
    await emit(r, delivered());
    await until('disabled', () => status(r).state === 'disabled');
    assert.match(status(r).disabledReason!, /410/);
    await emit(r, delivered());
    r.clock.advance(3_600_000);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.receiver.requests.length, 1);
    // The state is saved: a restart keeps it disabled.
    await r.restart();
    assert.equal(status(r).state, 'disabled');
    assert.equal(await r.dispatcher.endpoint('a', 'app')!.enable(), true);
    await until('both events', () => r.receiver.acknowledged().size === 2 && status(r).pending === 0);
    assert.equal(r.receiver.requests[0]!.id, r.receiver.requests[1]!.id, 'the refused event is sent again with its id');
  });

  it('disables an endpoint failing for longer than disableAfterMs, and keeps retrying until then', async () => {
    const r = await rig(() => '500', { disableAfterMs: 24 * 3_600_000 });
    await emit(r, delivered());
    let hours = 0;
    while (status(r).state !== 'disabled' && hours < 48) {
      const before = r.receiver.requests.length;
      const next = status(r).nextRetryAt;
      if (next === null) {
        await new Promise((res) => setTimeout(res, 5));
        continue;
      }
      const wait = Date.parse(next) - r.clock.now();
      assert.ok(wait <= 3_600_000 * 1.5, `retries at most every 1.5 h, got ${wait} ms`);
      r.clock.advance(wait);
      hours = (r.clock.now() - Date.parse(status(r).failingSince!)) / 3_600_000;
      await until('the retry', () => r.receiver.requests.length > before);
      await until('its answer', () => status(r).nextRetryAt !== null || status(r).state === 'disabled');
    }
    assert.equal(status(r).state, 'disabled');
    assert.ok(hours >= 24, `disabled after ${hours} h`);
    assert.match(status(r).disabledReason!, /failing since/);
  });

  it('keeps its cursor across a restart: acknowledged events are not sent again, new ones are', async () => {
    const r = await rig(() => 'ok');
    await emit(r, delivered(), delivered());
    await until('two requests', () => r.receiver.requests.length === 2 && status(r).pending === 0);
    await r.restart();
    const saved = JSON.parse(await readFile(join(r.dir, 'webhooks', 'a', 'app.json'), 'utf8')) as { cursor: unknown };
    assert.deepEqual(saved.cursor, r.log.end());
    await emit(r, delivered());
    await until('the third', () => r.receiver.requests.length === 3);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.receiver.requests.length, 3);
    assert.equal(new Set(r.receiver.requests.map((q) => q.id)).size, 3);
  });

  it('through the admin API: lists endpoints, sends a test event, replays from a time, enables', async () => {
    const r = await rig(() => 'ok');
    const token = 'webhook-admin-token-0123456789';
    const admin = new AdminServer({
      host: '127.0.0.1', port: 0, token, metrics: { exposition: () => '' }, stats: new TagStats(), events: r.log,
      suppressions: { list: () => [], add: async () => true, remove: async () => true }, accounts: () => ['a', 'b'], readiness: () => ({ ready: true }),
      webhooks: r.dispatcher,
    });
    const addr = await admin.listen();
    open.push(() => admin.close());
    const call = async (method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`http://127.0.0.1:${addr.port}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const t0 = Date.now();
    await emit(r, delivered({ time: t0 - 60_000 }), delivered({ time: t0 }), delivered({ time: t0 + 1 }));
    await until('three requests', () => r.receiver.requests.length === 3 && status(r).pending === 0);

    const list = await call('GET', '/api/webhooks');
    assert.equal(list.status, 200);
    const [ep] = list.body['webhooks'] as Record<string, unknown>[];
    assert.equal(ep!['id'], 'app');
    assert.equal(ep!['state'], 'active');
    assert.equal((ep!['lastAttempts'] as unknown[]).length, 3);

    const test = await call('POST', '/api/webhooks/a/app/test');
    assert.equal(test.status, 200);
    assert.equal(test.body['ok'], true);
    const last = r.receiver.requests[3]!;
    assert.equal(last.payload.type, 'webhook.test');
    assert.equal(last.verified, true);

    const replay = await call('POST', `/api/webhooks/a/app/replay?from=${new Date(t0).toISOString()}`);
    assert.equal(replay.status, 200);
    await until('two replayed', () => r.receiver.requests.length === 6);
    assert.deepEqual(r.receiver.requests.slice(4).map((q) => q.id), r.receiver.requests.slice(1, 3).map((q) => q.id), 'replayed with their ids');

    assert.equal((await call('POST', '/api/webhooks/a/app/enable')).body['enabled'], false);
    assert.equal((await call('POST', '/api/webhooks/a/nope/test')).status, 404);
    assert.equal((await call('POST', '/api/webhooks/a/app/explode')).status, 404);
    assert.equal((await call('POST', '/api/webhooks/a/app/replay')).status, 400);
    assert.equal((await call('GET', '/api/webhooks/a/app/test')).status, 405);
  });
});
