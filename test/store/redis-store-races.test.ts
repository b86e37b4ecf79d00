// Orderings of the Redis store that a fast loopback Redis rarely shows on its own, made certain with a TCP proxy
// in front of one relay: the proxy can hold the replies of the relay's command connection (never its subscriber's),
// so the change messages of later writes reach the relay before the reply of its own write.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { RedisStore, type StoredTemplate } from '../../src/relay/store/index.js';
import { needTool } from '../support/system-tools.js';
import { RedisServer, waitFor } from './redis-server.js';

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

/** Forwards to Redis; while `hold` is on, what Redis sends to a connection that never SUBSCRIBEd waits. */
class HoldingProxy {
  hold = false;
  private readonly held: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(target: number): Promise<HoldingProxy> {
    let proxy!: HoldingProxy;
    const server = createServer((client) => {
      const upstream = connect(target, '127.0.0.1');
      proxy.sockets.add(client).add(upstream);
      let subscriber = false;
      client.on('data', (d: Buffer) => {
        if (/subscribe/i.test(d.toString("latin1"))) subscriber = true;
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        if (proxy.hold && !subscriber) proxy.held.push(() => client.write(d));
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

  async close(): Promise<void> {
    this.release();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('redis store orderings', { skip: needTool('redis-server') }, () => {
  let redis: RedisServer;
  let proxy: HoldingProxy;
  const dirs: string[] = [];
  const stores: RedisStore[] = [];
  const open = async (url: string, prefix: string): Promise<RedisStore> => {
    const dir = mkdtempSync(join(tmpdir(), 'txrelay-redis-races-'));
    dirs.push(dir);
    const s = await RedisStore.open({ url, prefix, dataDir: dir, logger: silent });
    stores.push(s);
    return s;
  };

  before(async () => {
    redis = await RedisServer.start();
    proxy = await HoldingProxy.start(redis.port);
  });
  after(async () => {
    for (const s of stores) await s.close();
    await proxy.close();
    await redis.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a write whose reply arrives after a later change of the same record leaves the cache as Redis has it', async () => {
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
});
