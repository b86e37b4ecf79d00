// The accept path through the runtime store, the Redis store against the local store in the same run (issue 17
// §6). Per message, everything the store answers on the accept path: the API key found among the store's keys
// (not the file's), a stored template rendered with variables, the tag registry, the recipient's suppression
// check, and the account's rate and daily quota; around them the MIME parse and the composition, as
// relay-accept measures them. The goal is ≥ 90 % of the local store's figure, thanks to the caches and the
// blocks reserved per relay, and well under one round trip to Redis per accepted message (counted by the store).
// A real redis-server on a loopback port (bench/servers/redis-server.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { opsPerSecond, type BenchContext, type BenchRow, type BenchSuite } from '../harness.js';
import { RedisServer } from '../servers/redis-server.js';
import { MessageParser } from '../../src/mime/index.js';
import { MessageAcceptor } from '../../src/relay/accept/message-acceptor.js';
import { ApiKeyIndex, hashApiKey } from '../../src/relay/accept/api-key.js';
import { validateConfig, type RelayConfig } from '../../src/relay/config/index.js';
import { LocalStore, RedisStore, type RuntimeStore } from '../../src/relay/store/index.js';

const KEY = 'txr_bench_store_key_00000000000000000000000000000';
const RECIPIENT = 'user@example.net';
/** Limited, so every message takes from the rate and the quota; high enough that none is refused. */
const RATE = { perSecond: 1_000_000, perDay: 1_000_000_000 };

function message(): Buffer {
  const body = '<p>' + 'Your order is on its way. '.repeat(70) + '</p>';
  return Buffer.from(
    [
      `X-Auth-APIKey: ${KEY}`,
      'X-Transactional-Template: receipt',
      'X-Transactional-Variables: {"name":"Ann","order":"A-1042"}',
      'X-Transactional-Tag: receipts',
      'From: Shop <shop@example.com>',
      `To: ${RECIPIENT}`,
      'Subject: placeholder',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

async function seed(store: RuntimeStore): Promise<void> {
  await store.apiKeys.add({ id: 'key_bench', account: 'bench', hash: hashApiKey(KEY), label: 'bench', createdAt: Date.now(), expiresAt: null, lastUsedAt: null });
  await store.templates.put({
    account: 'bench',
    name: 'receipt',
    html: '<p>Hello {{ name }},</p><p>order {{ order }} is on its way.</p>' + '<p>Thank you for shopping with us.</p>'.repeat(40),
    subject: 'Order {{ order }}',
    from: null,
    replyTo: null,
    tag: null,
    updatedAt: Date.now(),
    revision: 'r1',
  });
  for (let i = 0; i < 1_000; i++) await store.suppressions.add('bench', `gone${i}@example.net`, 'hard bounce');
}

/** One message through the store's part of the accept path. */
function acceptPath(config: RelayConfig, store: RuntimeStore): { run: () => Promise<void>; count: () => number } {
  const keys = new ApiKeyIndex(config.accounts, store.apiKeys);
  const acceptor = new MessageAcceptor(config, store.tags, 1, null, null, store.templates);
  const raw = message();
  let n = 0;
  const check = (account: string): void => {
    if (store.suppressions.has(account, RECIPIENT)) throw new Error('the bench recipient is suppressed');
  };
  return {
    count: () => n,
    // Awaited as the relay's SMTP backend does (smtp-backend.ts), for both stores alike: a task that returned a
    // promise only sometimes would be timed as async by tinybench and the other as sync, not the same measure.
    run: async () => {
      const parser = new MessageParser();
      parser.write(raw);
      const accepted = acceptor.accept({ parsed: parser.end(), sessionAccount: null, recipients: [RECIPIENT], lookupKey: (k) => keys.lookup(k) }, `bench${n++}`);
      check(accepted.account.id);
      // Synchronous while a local block covers the message: a Release, no round trip.
      await store.limits.take(accepted.account.id, accepted.account.rate, accepted.recipients.length);
    },
  };
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const dirs = [mkdtempSync(join(tmpdir(), 'txrelay-bench-local-')), mkdtempSync(join(tmpdir(), 'txrelay-bench-redis-'))];
  const { config } = validateConfig(
    { dataDir: dirs[0], accounts: [{ id: 'bench', name: 'Bench', apiKeys: [], rate: RATE, routes: { out: { type: 'file', path: join(dirs[0]!, 'unused') } } }] },
    dirs[0]!,
  );
  if (!config) throw new Error('bench config invalid');
  const redis = await RedisServer.start();
  let local: LocalStore | null = null;
  let shared: RedisStore | null = null;
  try {
    local = await LocalStore.open(dirs[0]!);
    shared = await RedisStore.open({ url: redis.url, prefix: 'bench:', dataDir: dirs[1]!, logger: pino({ level: 'silent' }) });
    if (!shared.health().up) throw new Error(`the redis store did not come up: ${shared.health().lastError}`);
    await seed(local);
    await seed(shared);
    const l = acceptPath(config, local);
    const r = acceptPath(config, shared);
    // Twice, in both orders, so neither side always runs on a warmer (or busier) machine.
    const trips0 = shared.stats().roundTrips;
    const count0 = r.count();
    const first = await opsPerSecond({ local: l.run, redis: r.run }, ctx);
    const second = await opsPerSecond({ redis: r.run, local: l.run }, ctx);
    const tripsPerMessage = (shared.stats().roundTrips - trips0) / Math.max(1, r.count() - count0);
    const localOps = ((first['local'] ?? 0) + (second['local'] ?? 0)) / 2;
    const redisOps = ((first['redis'] ?? 0) + (second['redis'] ?? 0)) / 2;
    ctx.progress(`store: local ${Math.round(localOps)} msgs/s, redis ${Math.round(redisOps)} msgs/s, ${tripsPerMessage.toFixed(5)} round trips per message`);
    return [
      {
        suite: 'store',
        name: 'accept path with the Redis store (stored key, stored template, tag, suppression check, rate and quota), 1 recipient',
        unit: 'msgs/s',
        ours: redisOps,
        peer: { name: 'the same path with the local store', value: localOps },
        higherIsBetter: true,
        extra: {
          'redis round trips per accepted message': Number(tripsPerMessage.toPrecision(3)),
          'redis µs/msg': Math.round(1e8 / Math.max(1, redisOps)) / 100,
          'local µs/msg': Math.round(1e8 / Math.max(1, localOps)) / 100,
        },
      },
    ];
  } finally {
    await shared?.close();
    await local?.close();
    await redis.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

const suite: BenchSuite = { name: 'store', run };
export default suite;
