// The Redis runtime store against a real redis-server: two stores on one Redis stand for two relays of a
// fleet. What one writes, the other reads within a second; the fleet's rate and quota hold across both; with
// Redis stopped, the caches serve, the per-relay limits decide, suppressions wait in the journal and reach
// Redis when it returns.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { SmtpError } from '../../src/protocol/index.js';
import { RedisStore, StoreUnavailableError, type Release, type StoredTemplate } from '../../src/relay/store/index.js';
import { needTool } from '../support/system-tools.js';
import { freePort, RedisServer, sleep, waitFor } from './redis-server.js';

const PROPAGATION_MS = 1_000;

const credential = (id: string, account: string, secret: string) => ({
  id,
  account,
  hash: hashApiKey(secret),
  label: `label of ${id}`,
  createdAt: Date.now(),
  expiresAt: null,
  lastUsedAt: null,
});

const template = (account: string, name: string, html: string): StoredTemplate => ({
  account,
  name,
  html,
  subject: 'Hello {{ name }}',
  from: null,
  replyTo: null,
  tag: null,
  updatedAt: Date.now(),
  revision: Math.random().toString(36).slice(2),
});

/** A logger whose lines the test can read. */
function recordingLogger(): { logger: Logger; lines: () => Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines: () => lines };
}

const silent = pino({ level: 'silent' });

/** Takes until refused; returns how many were granted. */
async function takeUntilRefused(store: RedisStore, account: string, rate: { perSecond: number | null; perDay: number | null }, limit: number): Promise<number> {
  let n = 0;
  for (; n < limit; n++) {
    try {
      await store.limits.take(account, rate, 1);
    } catch (e) {
      assert.ok(e instanceof SmtpError, `refusal is an SmtpError, got ${String(e)}`);
      return n;
    }
  }
  return n;
}

describe('redis store', { skip: needTool('redis-server') }, () => {
  let redis: RedisServer;
  const dirs: string[] = [];
  const stores: RedisStore[] = [];
  let prefixCount = 0;

  const dataDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'txrelay-redis-store-'));
    dirs.push(d);
    return d;
  };
  /** Opens a store ("a relay") on the shared Redis, with a prefix of its own test unless given. */
  const open = async (prefix: string, o: { url?: string; logger?: Logger; dir?: string } = {}): Promise<RedisStore> => {
    const s = await RedisStore.open({ url: o.url ?? redis.url, prefix, dataDir: o.dir ?? dataDir(), logger: o.logger ?? silent });
    stores.push(s);
    return s;
  };
  const newPrefix = (): string => `t${++prefixCount}:`;
  /** Two relays sharing one prefix. */
  const fleet = async (): Promise<[RedisStore, RedisStore, string]> => {
    const p = newPrefix();
    return [await open(p), await open(p), p];
  };

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const s of stores) await s.close();
    await redis.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('opens up, loads what another relay wrote before, and reports up in health', async () => {
    const p = newPrefix();
    const first = await open(p);
    assert.deepEqual(first.health(), { up: true, pendingWrites: 0, lastError: null });
    await first.apiKeys.add(credential('key_1', 'shop', 'secret-1'));
    await first.templates.put(template('shop', 'welcome', '<p>Hi</p>'));
    await first.suppressions.add('shop', 'Bounced@Example.COM', 'hard bounce');
    first.tags.admit('shop', 'news', 400);
    await waitFor('tag written', async () => (await rawClient().smembers(`${p}tags:shop`)).includes('news'), PROPAGATION_MS);

    const later = await open(p);
    assert.equal(later.apiKeys.find(hashApiKey('secret-1'), Date.now())?.id, 'key_1');
    assert.equal(later.templates.get('shop', 'welcome')?.html, '<p>Hi</p>');
    assert.ok(later.suppressions.has('shop', 'Bounced@example.com'), 'domain compares case-insensitively');
    assert.equal(later.suppressions.has('shop', 'bounced@example.com'), false, 'local part compares exactly');
    assert.equal(later.tags.count('shop'), 1);
  });

  it('an API key added on one relay works on the other within a second, and a revocation stops it everywhere within a second', async () => {
    const [a, b] = await fleet();
    await a.apiKeys.add(credential('key_a', 'shop', 'secret-a'));
    const seen = await waitFor('key on relay b', () => b.apiKeys.find(hashApiKey('secret-a'), Date.now()) !== null, PROPAGATION_MS);
    assert.ok(seen < PROPAGATION_MS);
    assert.deepEqual(b.apiKeys.list('shop').map((c) => c.id), ['key_a']);
    assert.equal(await b.apiKeys.revoke('other', 'key_a'), false, 'another account cannot revoke it');
    assert.equal(await b.apiKeys.revoke('shop', 'key_a'), true);
    assert.equal(b.apiKeys.find(hashApiKey('secret-a'), Date.now()), null, 'gone at once on the relay that revoked it');
    await waitFor('revocation on relay a', () => a.apiKeys.find(hashApiKey('secret-a'), Date.now()) === null, PROPAGATION_MS);
    // Account tokens are a store of their own.
    await a.accountTokens.add(credential('tok_1', 'shop', 'token-secret'));
    await waitFor('token on relay b', () => b.accountTokens.find(hashApiKey('token-secret'), Date.now()) !== null, PROPAGATION_MS);
    assert.equal(b.apiKeys.find(hashApiKey('token-secret'), Date.now()), null);
  });

  it('last-used times are written in a batch and reach the other relays, and never bring a revoked key back', async () => {
    const [a, b, p] = await fleet();
    await a.apiKeys.add(credential('key_u', 'shop', 'secret-u'));
    await a.apiKeys.add(credential('key_r', 'shop', 'secret-r'));
    await waitFor('keys on b', () => b.apiKeys.list('shop').length === 2, PROPAGATION_MS);
    a.apiKeys.touch('key_u', 1_234_567);
    a.apiKeys.touch('key_r', 1_234_568);
    await b.apiKeys.revoke('shop', 'key_r');
    await waitFor('revocation on a', () => a.apiKeys.list('shop').length === 1, PROPAGATION_MS);
    // The batch is flushed at close (and every 30 s).
    await a.close();
    await waitFor('last use on b', () => b.apiKeys.list('shop')[0]?.lastUsedAt === 1_234_567, PROPAGATION_MS);
    assert.equal(await rawClient().hexists(`${p}apikeys`, 'key_r'), 0, 'the revoked key stays revoked');
    const again = await open(p);
    assert.equal(again.apiKeys.list('shop')[0]?.lastUsedAt, 1_234_567);
  });

  it('templates put and deleted on one relay are seen on the other within a second', async () => {
    const [a, b] = await fleet();
    await a.templates.put(template('shop', 'receipt', '<p>v1</p>'));
    await waitFor('template on b', () => b.templates.get('shop', 'receipt')?.html === '<p>v1</p>', PROPAGATION_MS);
    await b.templates.put(template('shop', 'receipt', '<p>v2</p>'));
    await waitFor('new version on a', () => a.templates.get('shop', 'receipt')?.html === '<p>v2</p>', PROPAGATION_MS);
    assert.deepEqual(a.templates.list('shop').map((t) => t.name), ['receipt']);
    assert.equal(await a.templates.delete('shop', 'receipt'), true);
    assert.equal(await a.templates.delete('shop', 'receipt'), false);
    await waitFor('deletion on b', () => b.templates.get('shop', 'receipt') === null, PROPAGATION_MS);
  });

  it('suppressions: added on one relay, blocking on the other within a second; the first entry stays; tag scope; removal', async () => {
    const [a, b] = await fleet();
    assert.equal(await a.suppressions.add('shop', 'gone@example.com', 'hard bounce', 1_000), true);
    await waitFor('suppression on b', () => b.suppressions.has('shop', 'gone@EXAMPLE.com'), PROPAGATION_MS);
    assert.equal(b.suppressions.has('other', 'gone@example.com'), false, 'per account');
    assert.equal(await b.suppressions.add('shop', 'gone@example.com', 'operator', 2_000), false, 'already listed');
    assert.equal(b.suppressions.get('shop', 'gone@example.com')?.reason, 'hard bounce');

    assert.equal(await a.suppressions.add('shop', 'news@example.com', 'unsubscribed', 3_000, 'newsletter'), true);
    await waitFor('tag-scoped suppression on b', () => b.suppressions.has('shop', 'news@example.com', 'newsletter'), PROPAGATION_MS);
    assert.equal(b.suppressions.has('shop', 'news@example.com'), false, 'only for that tag');
    assert.equal(b.suppressions.has('shop', 'news@example.com', 'receipts'), false);
    assert.deepEqual(b.suppressions.list('shop').map((e) => e.address), ['gone@example.com', 'news@example.com']);

    assert.equal(await b.suppressions.remove('shop', 'gone@example.com'), true);
    assert.equal(await b.suppressions.remove('shop', 'gone@example.com'), false);
    await waitFor('removal on a', () => !a.suppressions.has('shop', 'gone@example.com'), PROPAGATION_MS);
    await assert.rejects(a.suppressions.add('../etc', 'x@example.com', 'r'), /invalid account id/);
  });

  it('a suppression added by two relays at once keeps one entry, the same on both', async () => {
    const [a, b] = await fleet();
    const [ra, rb] = await Promise.all([a.suppressions.add('shop', 'race@example.com', 'from a', 1), b.suppressions.add('shop', 'race@example.com', 'from b', 2)]);
    assert.equal(Number(ra) + Number(rb), 1, 'exactly one of them added it');
    const winner = ra ? 'from a' : 'from b';
    await waitFor('both agree', () => a.suppressions.get('shop', 'race@example.com')?.reason === winner && b.suppressions.get('shop', 'race@example.com')?.reason === winner, PROPAGATION_MS);
  });

  it('tags: admitted from the cache, propagated, and bounded', async () => {
    const [a, b] = await fleet();
    a.tags.admit('shop', 'receipts', 2);
    a.tags.admit('shop', 'receipts', 2);
    await waitFor('tag on b', () => b.tags.count('shop') === 1, PROPAGATION_MS);
    b.tags.admit('shop', 'alerts', 2);
    await waitFor('both tags on a', () => a.tags.count('shop') === 2, PROPAGATION_MS);
    assert.throws(() => a.tags.admit('shop', 'third', 2), (e: unknown) => e instanceof SmtpError && e.code === 554 && e.enhanced === '5.6.0');
    a.tags.admit('shop', 'receipts', 2);
  });

  it('the rate limit holds for the fleet: three relays taking at once get one bucket between them', async (t) => {
    const [a, b, p] = await fleet();
    const c = await open(p);
    const rate = { perSecond: 100, perDay: null };
    const trips = (): number => a.stats().roundTrips + b.stats().roundTrips + c.stats().roundTrips;
    const before = trips();
    const durationMs = 3_000;
    let accepted = 0;
    let refused = 0;
    const hammer = async (s: RedisStore): Promise<void> => {
      const end = Date.now() + durationMs;
      while (Date.now() < end) {
        try {
          await s.limits.take('fleet', rate, 1);
          accepted++;
        } catch (e) {
          assert.ok(e instanceof SmtpError && e.code === 451 && /Sending rate of 100/.test(e.message));
          refused++;
        }
        await sleep(1);
      }
    };
    await Promise.all([hammer(a), hammer(b), hammer(c)]);
    // One second's burst (the bucket starts full) and then the rate.
    const expected = 100 + (100 * durationMs) / 1000;
    assert.ok(refused > 0, 'the load was over the limit');
    assert.ok(Math.abs(accepted - expected) <= expected * 0.1, `accepted ${accepted}, expected ${expected} ± 10 %`);
    const made = trips() - before;
    t.diagnostic(`accepted ${accepted} (expected ${expected}), refused ${refused}, ${made} round trips: ${(made / accepted).toFixed(2)} per accepted send`);
    assert.ok(made / accepted < 1, `round trips per accepted send ${made}/${accepted}`);
  });

  it('a block covers later sends synchronously; a busy account makes well under one round trip per send', async () => {
    const [a] = await fleet();
    const rate = { perSecond: 10_000, perDay: null };
    const before = a.stats().roundTrips;
    let sync = 0;
    for (let i = 0; i < 2_000; i++) {
      const r = a.limits.take('busy', rate, 1);
      if (typeof r === 'function') sync++;
      else await r;
      if (i % 50 === 0) await sleep(1);
    }
    const trips = a.stats().roundTrips - before;
    assert.ok(sync > 1_500, `${sync} of 2000 taken without a round trip`);
    assert.ok(trips < 200, `${trips} round trips for 2000 sends`);
    // Unlimited accounts never reach Redis.
    const t0 = a.stats().roundTrips;
    for (let i = 0; i < 100; i++) assert.equal(typeof a.limits.take('free', { perSecond: null, perDay: null }, 1), 'function');
    assert.equal(a.stats().roundTrips, t0);
  });

  it('the daily quota holds for the fleet, refuses past it until the end of the UTC day, and a released send goes back', async () => {
    const [a, b, p] = await fleet();
    const rate = { perSecond: null, perDay: 30 };
    let granted = 0;
    for (let i = 0; i < 40; i++) {
      try {
        await (i % 2 === 0 ? a : b).limits.take('quota', rate, 1);
        granted++;
      } catch (e) {
        assert.ok(e instanceof SmtpError && /Daily quota of 30 messages reached/.test(e.message));
      }
    }
    assert.equal(granted, 30);
    const ttl = await rawClient().pttl(`${p}quota:quota`);
    const untilMidnight = 86_400_000 - (Date.now() % 86_400_000);
    assert.ok(ttl > 0 && ttl <= untilMidnight + 2_000, `the counter expires at the end of the UTC day (pttl ${ttl}, ${untilMidnight} ms to go)`);

    // A send given back (the message was refused later) is available again, to the fleet.
    const rate2 = { perSecond: null, perDay: 2 };
    const r1 = (await a.limits.take('quota2', rate2, 1)) as Release;
    await a.limits.take('quota2', rate2, 1);
    assert.equal(await takeUntilRefused(b, 'quota2', rate2, 5), 0);
    r1();
    await a.limits.giveBackAll();
    await sleep(1_100); // b remembers its refusal for at most a second
    assert.equal(await takeUntilRefused(b, 'quota2', rate2, 5), 1);
  });

  it('a message larger than the rate takes a bucket of its own size, as the local limits do', async () => {
    const [a] = await fleet();
    const release = await a.limits.take('big', { perSecond: 5, perDay: null }, 20);
    assert.equal(typeof release, 'function');
    await assert.rejects(Promise.resolve().then(() => a.limits.take('big', { perSecond: 5, perDay: null }, 20)), /Sending rate of 5/);
  });

  it('starts when Redis cannot be reached, says so, and loads everything once it comes', async () => {
    const port = await freePort();
    const { logger, lines } = recordingLogger();
    const t0 = Date.now();
    const store = await open('late:', { url: `redis://127.0.0.1:${port}`, logger });
    assert.ok(Date.now() - t0 < 3_000, 'open does not wait for Redis');
    assert.equal(store.health().up, false);
    assert.ok(lines().some((l) => l.level === 40 && /unreachable at start/.test(l.msg)), 'a warning says so');
    // Per-relay limits meanwhile.
    assert.equal(typeof store.limits.take('acct', { perSecond: 2, perDay: null }, 1), 'function');
    await assert.rejects(store.apiKeys.add(credential('key_x', 'shop', 'x')), StoreUnavailableError);

    const late = await RedisServer.start(port);
    try {
      const other = await RedisStore.open({ url: late.url, prefix: 'late:', dataDir: dataDir(), logger: silent });
      await other.apiKeys.add(credential('key_late', 'shop', 'secret-late'));
      await other.close();
      await waitFor('store up', () => store.health().up, 10_000);
      // Loaded by the first synchronization, or received as a change when that came before the write.
      await waitFor('key from the other relay', () => store.apiKeys.find(hashApiKey('secret-late'), Date.now())?.id === 'key_late', PROPAGATION_MS);
      const t1 = Date.now();
      await late.stop();
      await waitFor('store down', () => !store.health().up, 5_000);
      await store.close();
      assert.ok(Date.now() - t1 < 3_000, 'close is prompt while Redis is down');
    } finally {
      await late.destroy();
    }
  });

  it('Redis stopped and restarted: caches serve, limits fall back per relay, suppressions wait in the journal and reach Redis after', async () => {
    const own = await RedisServer.start();
    try {
      const { logger, lines } = recordingLogger();
      const dir = dataDir();
      const a = await open('outage:', { url: own.url, logger, dir });
      const b = await open('outage:', { url: own.url });
      await a.apiKeys.add(credential('key_o', 'shop', 'secret-o'));
      await a.templates.put(template('shop', 'welcome', '<p>Hi</p>'));
      await a.suppressions.add('shop', 'before@example.com', 'hard bounce');
      await waitFor('b has them', () => b.suppressions.has('shop', 'before@example.com') && b.templates.get('shop', 'welcome') !== null, PROPAGATION_MS);

      await own.stop();
      await waitFor('a down', () => !a.health().up, 5_000);
      await waitFor('b down', () => !b.health().up, 5_000);
      // Reads from the caches.
      assert.equal(a.apiKeys.find(hashApiKey('secret-o'), Date.now())?.id, 'key_o');
      assert.equal(b.templates.get('shop', 'welcome')?.html, '<p>Hi</p>');
      assert.ok(b.suppressions.has('shop', 'before@example.com'));
      // Limits per relay (AccountLimits: a one-second bucket of 3 on each relay).
      const rate = { perSecond: 3, perDay: null };
      assert.equal(await takeUntilRefused(a, 'acct', rate, 10), 3);
      assert.equal(await takeUntilRefused(b, 'acct', rate, 10), 3);
      // Suppressions journaled; keys and templates refused with a clear error.
      assert.equal(await a.suppressions.add('shop', 'during@example.com', 'hard bounce'), true);
      assert.equal(await a.suppressions.remove('shop', 'before@example.com'), true);
      assert.ok(a.suppressions.has('shop', 'during@example.com'));
      assert.equal(a.health().pendingWrites, 2);
      assert.ok(readFileSync(join(dir, 'store', 'redis-pending.jsonl'), 'utf8').includes('during@example.com'));
      await assert.rejects(a.apiKeys.add(credential('key_p', 'shop', 'p')), (e: unknown) => e instanceof StoreUnavailableError && /API key key_p cannot be saved now/.test(e.message));
      await assert.rejects(a.templates.put(template('shop', 'x', '<p>x</p>')), StoreUnavailableError);
      a.tags.admit('shop', 'while-down', 400);
      const downWarnings = lines().filter((l) => l.level === 40 && /redis store down/.test(l.msg));
      assert.equal(downWarnings.length, 1, 'logged once per outage');

      await own.restart();
      await waitFor('a up', () => a.health().up, 10_000);
      await waitFor('b up', () => b.health().up, 10_000);
      assert.equal(a.health().pendingWrites, 0);
      assert.equal(readFileSync(join(dir, 'store', 'redis-pending.jsonl'), 'utf8'), '', 'the journal is emptied');
      const raw = new Redis(own.url);
      try {
        assert.ok((await raw.hkeys('outage:suppr:shop')).includes('during@example.com'), 'the suppression written while down is in Redis');
        assert.ok(!(await raw.hkeys('outage:suppr:shop')).includes('before@example.com'), 'and so is the removal');
        assert.ok((await raw.smembers('outage:tags:shop')).includes('while-down'));
      } finally {
        raw.disconnect();
      }
      await waitFor('b sees them', () => b.suppressions.has('shop', 'during@example.com') && !b.suppressions.has('shop', 'before@example.com') && b.tags.count('shop') === 1, PROPAGATION_MS);
      assert.ok(lines().some((l) => l.level === 30 && /redis store up/.test(l.msg)));
      // Fleet limits again: a fresh bucket in Redis for this account is shared.
      const fleetRate = { perSecond: 4, perDay: null };
      assert.equal((await takeUntilRefused(a, 'acct2', fleetRate, 10)) + (await takeUntilRefused(b, 'acct2', fleetRate, 10)), 4);
      // Keys work again.
      await a.apiKeys.add(credential('key_p', 'shop', 'p'));
      await waitFor('key on b', () => b.apiKeys.find(hashApiKey('p'), Date.now()) !== null, PROPAGATION_MS);
    } finally {
      await own.destroy();
    }
  });

  it('a relay restarted while Redis is down starts from the copy of the cache it saved, and Redis wins once back', async () => {
    const own = await RedisServer.start();
    try {
      const dir = dataDir();
      const { logger, lines } = recordingLogger();
      const first = await RedisStore.open({ url: own.url, prefix: 'saved:', dataDir: dir, logger: silent });
      await first.apiKeys.add(credential('key_s', 'shop', 'secret-s'));
      await first.templates.put(template('shop', 'welcome', '<p>saved</p>'));
      await first.suppressions.add('shop', 'suppressed@example.com', 'complaint');
      first.tags.admit('shop', 'receipts', 400);
      await waitFor('tag written', () => first.health().pendingWrites === 0, PROPAGATION_MS);
      await first.close();
      assert.ok(existsSync(join(dir, 'store', 'redis-cache.json')));
      // Changed after the copy was saved, without an announcement: the copy is out of date.
      const raw = new Redis(own.url);
      await raw.hdel('saved:templates', 'shop\u0000welcome');
      raw.disconnect();

      await own.stop();
      const again = await open('saved:', { url: own.url, dir, logger });
      assert.equal(again.health().up, false);
      assert.ok(lines().some((l) => l.level === 40 && /starting from the cache saved/.test(l.msg)));
      assert.equal(again.apiKeys.find(hashApiKey('secret-s'), Date.now())?.id, 'key_s');
      assert.equal(again.templates.get('shop', 'welcome')?.html, '<p>saved</p>');
      assert.ok(again.suppressions.has('shop', 'suppressed@example.com'), 'a suppression learnt before is still applied');
      assert.equal(again.tags.count('shop'), 1);

      await own.restart();
      await waitFor('up', () => again.health().up, 10_000);
      assert.equal(again.templates.get('shop', 'welcome'), null, 'the reload replaced the saved copy');
      assert.equal(again.apiKeys.find(hashApiKey('secret-s'), Date.now())?.id, 'key_s');
    } finally {
      await own.destroy();
    }
  });

  it('a Redis that answers nothing (paused) costs one command timeout, then the store is down and falls back without waiting', async () => {
    const own = await RedisServer.start();
    try {
      const a = await open('stuck:', { url: own.url });
      const rate = { perSecond: 1_000, perDay: null };
      await a.limits.take('acct', rate, 1);
      own.pause(true);
      const t0 = Date.now();
      await assert.rejects(a.templates.put(template('shop', 'x', '<p>x</p>')), (e: unknown) => e instanceof StoreUnavailableError && /timed out/.test(e.message));
      const waited = Date.now() - t0;
      assert.ok(waited < 3_000, `one command timeout (${waited} ms)`);
      await waitFor('down', () => !a.health().up, 1_000);
      const t1 = Date.now();
      for (let i = 0; i < 50; i++) await a.limits.take('acct', rate, 1);
      assert.ok(Date.now() - t1 < 500, 'the per-relay limits answer without waiting for Redis');
      assert.equal(await a.suppressions.add('shop', 'paused@example.com', 'hard bounce'), true);
      own.pause(false);
      await waitFor('up again', () => a.health().up && a.health().pendingWrites === 0, 10_000);
      const t2 = Date.now();
      await a.close();
      assert.ok(Date.now() - t2 < 2_000, 'close is prompt');
    } finally {
      own.pause(false);
      await own.destroy();
    }
  });

  it('suppressions journaled before a restart of the relay are kept and written once Redis is reachable', async () => {
    const port = await freePort();
    const dir = dataDir();
    const first = await RedisStore.open({ url: `redis://127.0.0.1:${port}`, prefix: 'j:', dataDir: dir, logger: silent });
    await first.suppressions.add('shop', 'queued@example.com', 'hard bounce');
    await first.close();
    assert.ok(existsSync(join(dir, 'store', 'redis-pending.jsonl')));
    const second = await open('j:', { url: `redis://127.0.0.1:${port}`, dir });
    assert.ok(second.suppressions.has('shop', 'queued@example.com'), 'honoured from the journal while Redis is away');
    assert.equal(second.health().pendingWrites, 1);
    const late = await RedisServer.start(port);
    try {
      await waitFor('written', () => second.health().up && second.health().pendingWrites === 0, 10_000);
      const raw = new Redis(late.url);
      assert.ok((await raw.hkeys('j:suppr:shop')).includes('queued@example.com'));
      raw.disconnect();
      await second.close();
    } finally {
      await late.destroy();
    }
  });

  /** A plain client on the suite's Redis, for looking at what the store wrote. */
  let raw: Redis | null = null;
  function rawClient(): Redis {
    raw ??= new Redis(redis.url);
    return raw;
  }
  after(() => raw?.disconnect());
});
