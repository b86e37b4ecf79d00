// kill -9 of a relay (a child process, as operators run it) during a burst, then a restart on the same data folder:
// every acknowledged message's delivered or failed event reaches the webhook receiver at least once.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../../bench/loadgen.js';
import { generateWebhookSecret } from '../../src/relay/webhooks/index.js';
import { KEY, RecordingUpstream, RelayChild, waitUntil, writeRelayConfig } from '../reliability/relay-child.js';
import { WebhookReceiver } from './receiver.js';

test('kill -9 during a burst: after a restart every accepted message\'s delivered/failed event reaches the receiver, none lost', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-webhook-crash-'));
  const secret = generateWebhookSecret();
  const receiver = await new WebhookReceiver(secret).start();
  const upstream = new RecordingUpstream(11);
  upstream.faults = { permFailRate: 0.1, tempFailRate: 0.1 };
  let relay: RelayChild | null = null;
  try {
    await upstream.start();
    const file = await writeRelayConfig({ dir, upstreamPort: upstream.port });
    const json = JSON.parse(await readFile(file, 'utf8')) as { accounts: Record<string, unknown>[] };
    json.accounts[0]!['webhooks'] = [{ id: 'app', url: receiver.url, events: ['delivered', 'failed'], secret }];
    await writeFile(file, JSON.stringify(json));

    const acked: string[] = [];
    let started = await RelayChild.start(file);
    relay = started.relay;
    const burst = runLoad({ port: started.port, sessions: 10, count: 600, messagesPerConnection: 5, headerApiKey: KEY, recipient: (i) => `burst${i}@example.net`, rate: 300, messageSize: 512, timeLimitMs: 60_000, replyTimeoutMs: 10_000 });
    // Kill in the middle of the burst: once 100 messages are queued (a count, not a time: a loaded machine starts slower).
    const queued = (): number => relay!.lines.filter((l) => l['msg'] === 'message' && l['outcome'] === 'queued').length;
    const deadline = Date.now() + 30_000;
    while (queued() < 100 && Date.now() < deadline) await sleep(20);
    await relay.kill9();
    relay = null;
    acked.push(...(await burst).acked);
    assert.ok(acked.length > 50, `only ${acked.length} messages accepted before the kill`);

    started = await RelayChild.start(file);
    relay = started.relay;
    const more = await runLoad({ port: started.port, sessions: 5, count: 100, messagesPerConnection: 5, headerApiKey: KEY, recipient: (i) => `after${i}@example.net`, rate: 500, messageSize: 512, timeLimitMs: 30_000 });
    acked.push(...more.acked);

    const finals = (): Set<string> => {
      const ids = new Set<string>();
      for (const r of receiver.requests) if (r.verified && (r.answer === 'ok')) ids.add(String(r.payload.data['messageId']));
      return ids;
    };
    const all = await waitUntil(() => {
      const seen = finals();
      return acked.every((id) => seen.has(id));
    }, 60_000, 200);
    const seen = finals();
    const lost = acked.filter((id) => !seen.has(id));
    assert.ok(all, `${lost.length} of ${acked.length} accepted messages without a delivered/failed webhook: ${lost.slice(0, 5).join(', ')}`);
    assert.ok(receiver.requests.every((r) => r.verified), 'every request verifies');
    const types = new Set(receiver.requests.map((r) => r.payload.type));
    assert.ok(types.has('message.delivered') && types.has('message.failed'), [...types].join(', '));
    // At least once, not a flood: only events acknowledged after the last cursor save (saved 500 ms after it moves)
    // are sent again, with their first webhook-id: at most about a second of the burst (300 msgs/s), not the history.
    const ids = receiver.requests.map((r) => r.id);
    const dup = ids.length - new Set(ids).size;
    console.log(`webhook crash: ${acked.length} accepted, ${receiver.requests.length} requests, ${dup} repeated ids`);
    assert.ok(dup <= 300, `${dup} repeated webhook-ids`);
    assert.equal(await relay.terminate(), 0);
    relay = null;
  } finally {
    if (relay) await relay.kill9();
    await upstream.stop();
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
