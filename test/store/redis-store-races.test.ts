// Orderings of the Redis store that a fast loopback Redis rarely shows on its own, made certain with a TCP proxy
// in front of one relay: the proxy can hold the replies of the relay's command connection, so the change messages
// of later writes reach the relay before the reply of its own write, and (apart) the change messages of its
// subscriber connection, so the relay hears another relay's write late.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisStore, type StoredTemplate } from '../../src/relay/store/index.js';
import { redisKeys } from '../../src/relay/store/redis-keys.js';
import { templateKey } from '../../src/relay/store/template-check.js';
import { needTool } from '../support/system-tools.js';
import { RedisServer, sleep, waitFor } from './redis-server.js';

const silent = pino({ level: 'silent' });

const template = (account: string, name: string, html: string): StoredTemplate => ({
  account,
  name,
  html,
  subject: null,
  from: null,
  replyTo: null,
  tag: null,
  updatedAt: Date.now(),
  revision: Math.random().toString(36).slice(2),
});

/**
 * Forwards to Redis; while `hold` is on, what Redis sends to a connection that never SUBSCRIBEd waits; while
 * `holdChannel` is on, what it sends to a subscribed one waits. `holdAfter`: `hold` turns on by itself when the
 * command connection sends a request matching it (before Redis can answer that request).
 */
class HoldingProxy {
  hold = false;
  holdChannel = false;
  holdAfter: RegExp | null = null;
  /** Data sent to subscribed connections so far (chunks). */
  channelChunks = 0;
  private readonly held: Array<() => void> = [];
  private readonly heldChannel: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(target: number): Promise<HoldingProxy> {
    let proxy!: HoldingProxy;
    const server = createServer((client) => {
      const upstream = connect(target, '127.0.0.1');
      proxy.sockets.add(client).add(upstream);
      let subscriber = false;
      client.on('data', (d: Buffer) => {
        const text = d.toString('latin1');
        if (/subscribe/i.test(text)) subscriber = true;
        if (!subscriber && proxy.holdAfter?.test(text)) {
          proxy.hold = true;
          proxy.holdAfter = null;
        }
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        if (subscriber) {
          const send = (): void => {
            proxy.channelChunks++;
            client.write(d);
          };
          if (proxy.holdChannel) proxy.heldChannel.push(send);
          else send();
        } else if (proxy.hold) proxy.held.push(() => client.write(d));
        else client.write(d);
      });
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    proxy = new HoldingProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get heldReplies(): number {
    return this.held.length;
  }

  release(): void {
    this.hold = false;
    for (const send of this.held.splice(0)) send();
  }

  releaseChannel(): void {
    this.holdChannel = false;
    for (const send of this.heldChannel.splice(0)) send();
  }

  async close(): Promise<void> {
    this.release();
    this.releaseChannel();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('redis store orderings', { skip: needTool('redis-server') }, () => {
  let redis: RedisServer;
  const dirs: string[] = [];
  const stores: RedisStore[] = [];
  const proxies: HoldingProxy[] = [];
  /** A proxy of its own for each test, so no other test's relay has replies held by it. */
  const startProxy = async (): Promise<HoldingProxy> => {
    const p = await HoldingProxy.start(redis.port);
    proxies.push(p);
    return p;
  };
  const open = async (url: string, prefix: string): Promise<RedisStore> => {
    const dir = mkdtempSync(join(tmpdir(), 'txrelay-redis-races-'));
    dirs.push(dir);
    const s = await RedisStore.open({ url, prefix, dataDir: dir, logger: silent });
    stores.push(s);
    return s;
  };

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const s of stores) await s.close();
    for (const p of proxies) await p.close();
    await redis.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a write whose reply arrives after a later change of the same record leaves the cache as Redis has it', async () => {
    const proxy = await startProxy();
    const a = await open(proxy.url, 'r1:'); // through the proxy
    const b = await open(redis.url, 'r1:');
    assert.ok(a.health().up && b.health().up);
    // Loads the write script into Redis (a first EVALSHA's NOSCRIPT reply would be held too).
    await a.templates.put(template('shop', 'warm-up', '<p>x</p>'));
    await waitFor('both hear the warm-up', () => a.cache.version === 1 && b.cache.version === 1, 2_000);

    proxy.hold = true;
    const first = a.templates.put(template('shop', 'welcome', '<p>from a</p>'));
    // a's own change message arrives (the subscriber is not held); its reply does not.
    await waitFor('a hears its own write', () => a.cache.version === 2, 2_000);
    await b.templates.put(template('shop', 'welcome', '<p>from b</p>'));
    await waitFor('a hears the later write of b', () => a.cache.version === 3, 2_000);
    assert.ok(proxy.heldReplies > 0, 'the reply of a\'s write is still held');
    proxy.release();
    await first;

    assert.equal(b.templates.get('shop', 'welcome')?.html, '<p>from b</p>');
    assert.equal(a.templates.get('shop', 'welcome')?.html, '<p>from b</p>', 'relay a shows what Redis holds (the later write), not its own older one');
  });

  it('a suppression add that loses to another relay\'s entry does not bring it back after a removal heard first', async () => {
    const proxy = await startProxy();
    const a = await open(proxy.url, 'r2:'); // through the proxy
    const b = await open(redis.url, 'r2:');
    await a.suppressions.add('shop', 'warm-up@example.com', 'bounce'); // loads the write script
    await waitFor('both hear the warm-up', () => a.cache.version === 1 && b.cache.version === 1, 2_000);

    // b lists an address; a does not hear it yet, so a adds it too and loses (HSETNX) to b's entry, which it
    // shows at once (its cache has not reached the version of the reply).
    proxy.holdChannel = true;
    assert.equal(await b.suppressions.add('shop', 'y@example.com', 'complaint'), true);
    assert.equal(await a.suppressions.add('shop', 'y@example.com', 'bounce'), false, 'b listed it first');
    assert.equal(a.suppressions.get('shop', 'y@example.com')?.reason, 'complaint');
    proxy.releaseChannel();
    await waitFor('a hears b\'s add', () => a.cache.version === 2, 2_000);
    assert.equal(a.suppressions.get('shop', 'y@example.com')?.reason, 'complaint');

    // The same, but the reply of a's losing add comes after a heard b's add and then b's removal.
    proxy.holdChannel = true;
    assert.equal(await b.suppressions.add('shop', 'x@example.com', 'complaint'), true);
    proxy.hold = true;
    const added = a.suppressions.add('shop', 'x@example.com', 'bounce');
    await waitFor('the reply of a\'s losing add is held', () => proxy.heldReplies > 0, 2_000);
    proxy.releaseChannel();
    await waitFor('a hears b\'s add', () => a.cache.version === 3, 2_000);
    assert.equal(await b.suppressions.remove('shop', 'x@example.com'), true);
    await waitFor('a hears b\'s removal', () => a.cache.version === 4, 2_000);
    assert.equal(a.suppressions.has('shop', 'x@example.com'), false);
    proxy.release();
    assert.equal(await added, false, 'b listed it first');

    assert.equal(b.suppressions.has('shop', 'x@example.com'), false);
    assert.equal(a.suppressions.has('shop', 'x@example.com'), false, 'relay a does not suppress an address Redis no longer lists');
  });

  it('a change missed while a reload\'s snapshot is on its way makes the relay reload again', async () => {
    const proxy = await startProxy();
    const a = await open(proxy.url, 'r3:'); // through the proxy
    const b = await open(redis.url, 'r3:');
    const raw = new Redis(redis.url);
    try {
      await b.templates.put(template('shop', 'warm-up', '<p>x</p>'));
      await waitFor('both hear the warm-up', () => a.cache.version === 1 && b.cache.version === 1, 2_000);
      /** A write whose change message never reaches the relays (as if lost): the state and the version move, silently. */
      const keys = redisKeys('r3:');
      const lostWrite = async (name: string): Promise<void> => {
        const t = template('shop', name, `<p>${name}</p>`);
        await raw.multi().hset(keys.templates, templateKey('shop', name), JSON.stringify(t)).incr(keys.version).exec();
      };

      // A gap on the live path starts a reload; its snapshot's reply is held in the proxy.
      proxy.holdAfter = /\r\nexec\r\n/i;
      await lostWrite('lost-1'); // version 2
      await b.templates.put(template('shop', 'second', '<p>second</p>')); // version 3: a sees the gap
      await waitFor('the reply of a\'s snapshot is held', () => proxy.heldReplies > 0, 2_000);
      // Meanwhile (after the snapshot, version 3) another change is lost, and a later one arrives while a buffers.
      await lostWrite('lost-2'); // version 4
      const before = proxy.channelChunks;
      await b.templates.put(template('shop', 'third', '<p>third</p>')); // version 5
      await waitFor('the change of version 5 is sent to a', () => proxy.channelChunks > before, 2_000);
      await sleep(100); // and buffered by a
      proxy.release();

      await waitFor('a reaches version 5', () => a.cache.version === 5, 2_000);
      assert.equal(a.templates.get('shop', 'lost-1')?.html, '<p>lost-1</p>', 'in the snapshot');
      assert.equal(a.templates.get('shop', 'third')?.html, '<p>third</p>', 'from the buffer');
      await waitFor('a holds the change it missed (lost-2)', () => a.templates.get('shop', 'lost-2') !== null, 2_000);
    } finally {
      raw.disconnect();
    }
  });
});
