// What an operator sees of an mx route: the destination in the delivery events, per-destination counters in
// /metrics and the route's destinations in /api/queue, over a real relay delivering through dnsmasq to smtp-server
// MX hosts (one accepting, one greeting with 421 so its destination is paused).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent } from '../../src/relay/storage/event-log.js';
import type { QueueRoute } from '../../src/relay/admin/queue.js';
import { needTool } from '../support/system-tools.js';
import { startDnsmasq, type Dnsmasq } from './mx/dnsmasq.js';
import { freeTcpPort, startMxReceiver, type MxReceiver } from './mx/mx-receiver.js';
import { removeDir, sendWithNodemailer, startTestRelay, type TestRelay } from '../relay/relay-harness.js';

const TOKEN = 'mx-queue-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const RECORDS = [
  '--mx-host=ok.test,mx.ok.test,10', '--host-record=mx.ok.test,127.0.0.101',
  '--mx-host=busy.test,mx.busy.test,10', '--host-record=mx.busy.test,127.0.0.102',
];

describe('an mx route seen through events, /metrics and /api/queue', { skip: needTool('dnsmasq') }, () => {
  let dns: Dnsmasq;
  let ok: MxReceiver;
  let busy: MxReceiver;
  let t: TestRelay;
  let base: string;

  before(async () => {
    dns = await startDnsmasq(RECORDS);
    const port = await freeTcpPort();
    ok = await startMxReceiver({ host: '127.0.0.101', port });
    busy = await startMxReceiver({ host: '127.0.0.102', port, greeting: { code: 421, text: 'mx.busy.test too busy' } });
    t = await startTestRelay((json) => {
      json['admin'] = { port: 0, token: TOKEN };
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'mx', port, dnsServers: [dns.server], mtaSts: false, connectTimeoutMs: 2_000 };
    });
    base = `http://127.0.0.1:${t.relay.admin!.port}`;
    const sent = await sendWithNodemailer(t.port, { from: 'Shop <shop@example.com>', to: 'ann@ok.test, bob@busy.test', subject: 'queue', html: '<p>hi</p>' });
    assert.equal(sent.code, 250, sent.response);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const page = await t.relay.events.read({ type: ['delivered', 'deferred'] });
      const types = new Set(page.events.map((e) => e.type));
      if (types.has('delivered') && types.has('deferred')) break;
      if (Date.now() > deadline) throw new Error(`no delivered and deferred events after 15 s: ${JSON.stringify(page.events)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  after(async () => {
    await t?.stop();
    await ok?.close();
    await busy?.close();
    await dns?.close();
    if (t) await removeDir(t.dir);
  });

  it('records the destination in the delivered and deferred events', async () => {
    await t.relay.events.flush();
    const res = await fetch(`${base}/api/events?account=a&type=delivered,deferred`, { headers: auth });
    const { events } = (await res.json()) as { events: StoredEvent[] };
    const delivered = events.filter((e) => e.type === 'delivered');
    assert.deepEqual(delivered.map((e) => [e.recipient, e.destination]), [['ann@ok.test', 'mx.ok.test']]);
    const deferred = events.filter((e) => e.type === 'deferred');
    assert.ok(deferred.length >= 1);
    for (const e of deferred) assert.equal(e.destination, 'mx.busy.test', JSON.stringify(e));
  });

  it('counts attempts per route and destination in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    assert.match(text, /^txrelay_destination_attempts_total\{route="main",destination="mx\.ok\.test",outcome="delivered"\} 1$/m);
    assert.match(text, /^txrelay_destination_attempts_total\{route="main",destination="mx\.busy\.test",outcome="deferred"\} [1-9]\d*$/m);
  });

  it('/api/queue shows the waiting message and each destination: connections, last error, pause', async () => {
    const res = await fetch(`${base}/api/queue?account=a`, { headers: auth });
    assert.equal(res.status, 200);
    const { routes } = (await res.json()) as { routes: QueueRoute[] };
    assert.deepEqual(routes.map((r) => [r.account, r.route, r.type]), [['a', 'main', 'mx']]);
    const main = routes[0]!;
    assert.equal(main.messages, 1, 'the message waits for bob@busy.test');
    assert.equal(main.recipients, 1);
    const byName = new Map(main.destinations!.map((d) => [d.destination, d]));
    const paused = byName.get('mx.busy.test')!;
    assert.ok(paused.pausedUntil !== null && Date.parse(paused.pausedUntil) > Date.now(), JSON.stringify(paused));
    assert.match(paused.lastError ?? '', /421/);
    assert.equal(paused.connections, 0);
    const open = byName.get('mx.ok.test')!;
    assert.equal(open.pausedUntil, null);
    assert.equal(open.lastError, null);
    assert.equal(open.connections, open.idle, 'its connection is idle, kept for reuse');
    assert.equal(ok.messages.length, 1);
    assert.equal(busy.messages.length, 0);
  });

  it('/api/queue lists the other account\'s file route without destinations, and refuses an unknown account', async () => {
    const all = (await (await fetch(`${base}/api/queue`, { headers: auth })).json()) as { routes: QueueRoute[] };
    assert.deepEqual(all.routes.map((r) => [r.account, r.route, r.type, r.messages, r.destinations]).slice(1), [['b', 'other', 'file', 0, null]]);
    assert.equal((await fetch(`${base}/api/queue?account=nobody`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${base}/api/queue`)).status, 401);
  });
});
