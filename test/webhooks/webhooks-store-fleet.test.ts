// Two relays in one process on one real redis-server (the fleet of issue 17): an endpoint made through relay A's
// management API is run by relay B's dispatcher within a second and posts B's events (signed, checked with the
// `standardwebhooks` package); deleted through relay B, relay A stops it within a second. Cursors stay per relay:
// each relay posts the events of its own log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateWebhookSecret } from '../../src/relay/webhooks/index.js';
import { RedisServer } from '../store/redis-server.js';
import { needTool } from '../support/system-tools.js';
import { removeDir, sendWithNodemailer, startTestRelay, type TestRelay } from '../relay/relay-harness.js';
import { waitUntil } from '../reliability/relay-child.js';
import { WebhookReceiver } from './receiver.js';

const TOKEN = 'admin-token-for-the-webhook-fleet-test';

describe('webhook endpoints across a fleet on the redis store', { skip: needTool('redis-server') }, () => {
  let redis: RedisServer;
  let a: TestRelay;
  let b: TestRelay;
  let receiver: WebhookReceiver;
  const secret = generateWebhookSecret();

  const api = async (relay: TestRelay, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://127.0.0.1:${relay.relay.admin!.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const runs = async (relay: TestRelay, id: string): Promise<boolean> => ((await api(relay, 'GET', '/api/webhooks')).body['webhooks'] as Array<{ id: string }>).some((w) => w.id === id);
  const fromMessage = (id: string): string[] => receiver.requests.filter((q) => q.payload.data['messageId'] === id).map((q) => q.payload.type).sort();
  const send = async (relay: TestRelay, subject: string): Promise<string> => {
    const r = await sendWithNodemailer(relay.port, { from: 'app@example.com', to: 'user@example.net', subject, html: '<p>Hello</p>' });
    assert.equal(r.code, 250, r.response);
    return /queued as (\S+)/.exec(r.response)![1]!;
  };

  before(async () => {
    redis = await RedisServer.start();
    receiver = await new WebhookReceiver(secret).start();
    const patch = (json: Record<string, unknown>): void => {
      json['store'] = { type: 'redis', url: redis.url, prefix: 'whfleet:' };
      json['admin'] = { port: 0, host: '127.0.0.1', token: TOKEN };
    };
    a = await startTestRelay(patch);
    b = await startTestRelay(patch);
  });
  after(async () => {
    for (const r of [a, b]) {
      await r?.stop();
      if (r) await removeDir(r.dir);
    }
    await receiver?.stop();
    await redis?.destroy();
  });

  it('an endpoint made on relay A posts from relay B within a second, and a delete on B stops it on A within a second', async () => {
    const created = await api(a, 'POST', '/api/accounts/a/webhooks', { id: 'fleet', url: receiver.url, events: ['accepted'], secret });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const t0 = Date.now();
    assert.ok(await waitUntil(() => runs(b, 'fleet'), 1_000, 10), 'relay B runs the endpoint within a second');
    const ms = Date.now() - t0;
    assert.ok(await waitUntil(() => runs(a, 'fleet'), 1_000, 10), 'relay A runs it too');

    const onB = await send(b, 'from relay B');
    const onA = await send(a, 'from relay A');
    assert.ok(await waitUntil(() => fromMessage(onB).length === 1 && fromMessage(onA).length === 1, 10_000, 20), `both relays post (B started after ${ms} ms): ${JSON.stringify(receiver.requests.map((q) => q.payload))}`);
    assert.deepEqual(fromMessage(onB), ['message.accepted']);
    assert.ok(receiver.requests.every((q) => q.verified), 'every request verifies with standardwebhooks');

    assert.equal((await api(b, 'DELETE', '/api/accounts/a/webhooks/fleet')).status, 204);
    assert.ok(await waitUntil(async () => !(await runs(a, 'fleet')), 1_000, 10), 'relay A stops it within a second');
    const count = receiver.requests.length;
    await send(a, 'after the delete');
    await a.relay.events.flush();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.requests.length, count, 'nothing posted after the delete');
  });
});
