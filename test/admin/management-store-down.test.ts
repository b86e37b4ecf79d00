// While the runtime store is down (Redis unreachable: health().up false), management writes answer 503 with the
// reason and change nothing, and reads answer from the cache. The store is a real LocalStore in a temp folder whose
// health() reports what a RedisStore reports during an outage (the Redis store is not on this branch); a second
// case makes the store's write itself fail (its journal closed under it).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminServer } from '../../src/relay/admin/admin-server.js';
import { RelayMetrics } from '../../src/relay/admin/relay-metrics.js';
import { TagStats } from '../../src/relay/admin/stats.js';
import { EventLog } from '../../src/relay/storage/event-log.js';
import { LocalStore, type StoreHealth } from '../../src/relay/store/index.js';
import { buildConfig } from '../relay/relay-harness.js';
import { TOKEN } from './fixture.js';
import { assertRefused, call } from './management-fixture.js';

describe('management API while the store is down', () => {
  let dir: string;
  let store: LocalStore;
  let log: EventLog;
  let server: AdminServer;
  let base: string;
  let health: StoreHealth = { up: true, pendingWrites: 0, lastError: null };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-store-down-'));
    const config = buildConfig(dir);
    store = await LocalStore.open(dir);
    // What the admin server sees of the store's health is what the test sets.
    const real = store;
    const reported = Object.create(real, { health: { value: () => health } }) as LocalStore;
    log = await EventLog.open(join(dir, 'events'));
    server = new AdminServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      metrics: new RelayMetrics({ spoolDepth: () => ({ messages: 0, oldestAgeSeconds: 0 }) }),
      stats: new TagStats(),
      events: log,
      suppressions: store.suppressions,
      accounts: () => config.accounts.map((a) => a.id),
      readiness: () => ({ ready: true }),
      management: { store: reported, config: () => config },
    });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  after(async () => {
    await server?.close();
    await log?.close();
    await store?.close().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses every write with 503 and the reason, and serves reads from the cache', async () => {
    const key = await call(base, 'POST', '/api/accounts/a/keys', { body: { label: 'before' } });
    assert.equal(key.status, 201);
    assert.equal((await call(base, 'PUT', '/api/accounts/a/templates/t', { body: { html: '<p>{{ x }}</p>' } })).status, 201);
    assert.equal((await call(base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'x@y.test' } })).status, 201);

    health = { up: false, pendingWrites: 2, lastError: 'connect ECONNREFUSED 127.0.0.1:6379' };
    const writes: Array<[string, string, unknown?, string?]> = [
      ['POST', '/api/accounts/a/keys', {}],
      ['DELETE', `/api/accounts/a/keys/${key.body!['id'] as string}`],
      ['PUT', '/api/accounts/a/templates/t', { html: '<p>new</p>' }],
      ['DELETE', '/api/accounts/a/templates/t'],
      ['POST', '/api/accounts/a/suppressions', { address: 'z@y.test' }],
      ['DELETE', '/api/accounts/a/suppressions/x%40y.test'],
      ['POST', '/api/accounts/a/suppressions/import', 'q@y.test,r\n', 'text/csv'],
      ['POST', '/api/accounts/a/tokens', {}],
    ];
    for (const [method, path, body, type] of writes) {
      const a = await call(base, method, path, { ...(body !== undefined ? { body } : {}), ...(type ? { type } : {}) });
      assertRefused(a, 503, null, /local store cannot be reached \(connect ECONNREFUSED 127\.0\.0\.1:6379\): .* is refused until it is back/);
    }
    // Reads answer from the cache, and nothing changed.
    assert.equal(((await call(base, 'GET', '/api/accounts/a/keys')).body!['keys'] as unknown[]).length, 2, 'the file key and the one made before');
    assert.equal(((await call(base, 'GET', '/api/accounts/a/templates/t')).body!['template'] as Record<string, unknown>)['html'], '<p>{{ x }}</p>');
    assert.equal((await call(base, 'POST', '/api/accounts/a/templates/t/render', { body: { variables: { x: 2 } } })).body!['html'], '<p>2</p>');
    assert.deepEqual(((await call(base, 'GET', '/api/accounts/a/suppressions')).body!['suppressions'] as Array<{ address: string }>).map((e) => e.address), ['x@y.test']);
    health = { up: true, pendingWrites: 0, lastError: null };
    assert.equal((await call(base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'z@y.test' } })).status, 201, 'writes resume');
  });

  it('answers 503 naming the failure when the store rejects a write', async () => {
    // Closing the store closes its files: the next write rejects, as a Redis write does when the connection drops.
    await store.close();
    const a = await call(base, 'PUT', '/api/accounts/a/templates/after-close', { body: { html: '<p/>' } });
    assertRefused(a, 503, null, /did not take the change .*saving template after-close is not done/);
  });
});
