// The management API of a relay on the Redis store while redis-server is stopped: keys, templates and tokens are
// refused with 503 and the reason (the caller learns the change is not made), reads answer from the cache, and
// suppressions are taken (202, queued) and reach Redis when it is back. A second case: a write the store itself
// rejects (its files closed under it) is a 503 naming the failure.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { RedisStore } from '../../src/relay/store/index.js';
import { needTool } from '../support/system-tools.js';
import { removeDir, startTestRelay, type TestRelay } from '../relay/relay-harness.js';
import { RedisServer, waitFor } from '../store/redis-server.js';
import { TOKEN } from './fixture.js';
import { assertRefused, call, startManagementRelay } from './management-fixture.js';

describe('management API of a relay whose Redis store is down', { skip: needTool('redis-server') }, () => {
  let redis: RedisServer;
  let relay: TestRelay;
  let base: string;

  before(async () => {
    redis = await RedisServer.start();
    relay = await startTestRelay((json) => {
      json['store'] = { type: 'redis', url: redis.url, prefix: 'down:' };
      json['admin'] = { port: 0, host: '127.0.0.1', token: TOKEN };
    });
    base = `http://127.0.0.1:${relay.relay.admin!.port}`;
  });
  after(async () => {
    await relay?.stop();
    if (relay) await removeDir(relay.dir);
    await redis?.destroy();
  });

  it('refuses key, template and token writes with 503, takes suppressions as queued, and serves reads from the cache', async () => {
    const key = await call(base, 'POST', '/api/accounts/a/keys', { body: { label: 'before' } });
    assert.equal(key.status, 201, key.text);
    assert.equal((await call(base, 'PUT', '/api/accounts/a/templates/t', { body: { html: '<p>{{ x }}</p>' } })).status, 201);
    assert.equal((await call(base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'x@y.test' } })).status, 201);

    await redis.stop();
    await waitFor('the store down', () => !relay.relay.store.health().up, 5_000);
    const refused: Array<[string, string, unknown?]> = [
      ['POST', '/api/accounts/a/keys', {}],
      ['DELETE', `/api/accounts/a/keys/${key.body!['id'] as string}`],
      ['PUT', '/api/accounts/a/templates/t', { html: '<p>new</p>' }],
      ['DELETE', '/api/accounts/a/templates/t'],
      ['POST', '/api/accounts/a/tokens', {}],
    ];
    for (const [method, path, body] of refused) {
      const a = await call(base, method, path, body !== undefined ? { body } : {});
      assertRefused(a, 503, null, /redis store cannot be reached.*is refused until it is back/);
    }
    const queued = await call(base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'while-down@y.test', reason: 'outage' } });
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.body!['queued'], true);
    const imported = await call(base, 'POST', '/api/accounts/a/suppressions/import', { body: 'imported-while-down@y.test,r\n', type: 'text/csv' });
    assert.equal(imported.status, 200, imported.text);

    // Reads answer from the cache; the refused writes changed nothing; the queued suppressions hold here at once.
    assert.equal(((await call(base, 'GET', '/api/accounts/a/keys')).body!['keys'] as unknown[]).length, 2, 'the file key and the one made before');
    assert.equal(((await call(base, 'GET', '/api/accounts/a/templates/t')).body!['template'] as Record<string, unknown>)['html'], '<p>{{ x }}</p>');
    assert.equal((await call(base, 'POST', '/api/accounts/a/templates/t/render', { body: { variables: { x: 2 } } })).body!['html'], '<p>2</p>');
    assert.equal(relay.relay.store.suppressions.has('a', 'while-down@y.test'), true);

    await redis.restart();
    await waitFor('the store up again', () => relay.relay.store.health().up && relay.relay.store.health().pendingWrites === 0, 10_000);
    // Another relay of the fleet (a second store on the same Redis) sees what was written during the outage.
    const otherDir = mkdtempSync(join(tmpdir(), 'txrelay-other-'));
    const other = await RedisStore.open({ url: redis.url, prefix: 'down:', dataDir: otherDir, logger: pino({ level: 'silent' }) });
    try {
      assert.equal(other.suppressions.has('a', 'while-down@y.test'), true);
      assert.equal(other.suppressions.has('a', 'imported-while-down@y.test'), true);
    } finally {
      await other.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
    assert.equal((await call(base, 'POST', '/api/accounts/a/keys', {})).status, 201, 'key writes resume');
  });
});

describe('management API when the store rejects a write', () => {
  it('answers 503 naming the failure', async () => {
    const m = await startManagementRelay();
    try {
      // Closing the store closes its files: the next write rejects, as a Redis write does when the connection drops.
      await m.t.relay.store.close();
      const a = await call(m.base, 'PUT', '/api/accounts/a/templates/after-close', { body: { html: '<p/>' } });
      assertRefused(a, 503, null, /did not take the change .*saving template after-close is not done/);
    } finally {
      await m.close().catch(() => undefined);
    }
  });
});
