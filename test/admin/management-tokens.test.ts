// Account-scoped tokens against a real relay: the operator issues one for account "a"; with it a customer reaches
// a's keys, templates, suppressions, stats and events (account forced to a) and nothing else (403), while the admin
// token still reaches everything. A revoked token is refused at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KEY_B, sendWithNodemailer } from '../relay/relay-harness.js';
import { assertRefused, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';

describe('management API: account-scoped tokens', () => {
  let m: ManagementRelay;
  let token: string;
  let tokenId: string;

  before(async () => {
    m = await startManagementRelay();
    // One message per account, so stats and events have something of each.
    assert.equal((await sendWithNodemailer(m.t.port, { from: 'app@sender.test', to: 'u@dest.test', subject: 'a', html: '<p/>', headers: { 'X-Transactional-Tag': 'from-a' } })).code, 250);
    assert.equal((await sendWithNodemailer(m.t.port, { from: 'app@sender.test', to: 'u@dest.test', subject: 'b', html: '<p/>', headers: { 'X-Transactional-Tag': 'from-b' } }, { key: KEY_B })).code, 250);
    await m.t.relay.events.flush();
    const issued = await call(m.base, 'POST', '/api/accounts/a/tokens', { body: { label: 'customer portal' } });
    assert.equal(issued.status, 201, issued.text);
    token = issued.body!['token'] as string;
    tokenId = issued.body!['id'] as string;
    assert.match(token, /^txa_[A-Za-z0-9_-]{43}$/);
    assert.match(tokenId, /^tok_/);
  });
  after(async () => {
    await m?.close();
  });

  it('reaches its own account\'s keys, templates and suppressions', async () => {
    const key = await call(m.base, 'POST', '/api/accounts/a/keys', { token, body: { label: 'made by the customer' } });
    assert.equal(key.status, 201, key.text);
    assert.equal((await call(m.base, 'GET', '/api/accounts/a/keys', { token })).status, 200);
    assert.equal((await call(m.base, 'DELETE', `/api/accounts/a/keys/${key.body!['id'] as string}`, { token })).status, 204);
    assert.equal((await call(m.base, 'PUT', '/api/accounts/a/templates/mine', { token, body: { html: '<p>{{ x }}</p>' } })).status, 201);
    assert.equal((await call(m.base, 'POST', '/api/accounts/a/templates/mine/render', { token, body: { variables: { x: 1 } } })).body!['html'], '<p>1</p>');
    assert.equal((await call(m.base, 'GET', '/api/accounts/a/templates', { token })).status, 200);
    assert.equal((await call(m.base, 'POST', '/api/accounts/a/suppressions', { token, body: { address: 'x@y.test' } })).status, 201);
    assert.equal((await call(m.base, 'GET', '/api/accounts/a/suppressions.csv', { token })).status, 200);
    assert.equal((await call(m.base, 'GET', '/api/suppressions', { token })).body!['account'], 'a', 'the older route is forced to its account too');
    assert.equal((await call(m.base, 'GET', '/api/openapi.json', { token })).status, 200);
  });

  it('sees only its own account in stats and events', async () => {
    const stats = await call(m.base, 'GET', '/api/stats', { token });
    assert.equal(stats.status, 200, stats.text);
    assert.deepEqual((stats.body!['accounts'] as Array<{ account: string }>).map((a) => a.account), ['a']);
    assert.equal((await call(m.base, 'GET', '/api/stats?account=a', { token })).status, 200);
    const events = await call(m.base, 'GET', '/api/events', { token });
    const accounts = new Set((events.body!['events'] as Array<{ account: string }>).map((e) => e.account));
    assert.deepEqual([...accounts], ['a']);
    const csv = await call(m.base, 'GET', '/api/events?format=csv', { token });
    assert.equal(csv.status, 200);
    assert.ok(!csv.text.includes(',b,'), 'no row of account b in the export');
    // The admin token sees both.
    const all = await call(m.base, 'GET', '/api/stats');
    assert.deepEqual((all.body!['accounts'] as Array<{ account: string }>).map((a) => a.account), ['a', 'b']);
  });

  it('is refused (403) everywhere else: another account, the queue, metrics, webhooks, tokens', async () => {
    assertRefused(await call(m.base, 'GET', '/api/accounts/b/keys', { token }), 403, 'id', /account "a"/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/b/templates/x', { token, body: { html: '<p/>' } }), 403, 'id');
    assertRefused(await call(m.base, 'GET', '/api/accounts/nobody/suppressions', { token }), 403, 'id', undefined);
    assertRefused(await call(m.base, 'GET', '/api/stats?account=b', { token }), 403, 'account');
    assertRefused(await call(m.base, 'GET', '/api/events?account=b', { token }), 403, 'account');
    assertRefused(await call(m.base, 'GET', '/api/suppressions?account=b', { token }), 403, 'account');
    for (const [method, path] of [
      ['GET', '/api/queue'],
      ['GET', '/metrics'],
      ['GET', '/readyz'],
      ['GET', '/api/accounts'],
      ['GET', '/api/webhooks'],
      ['POST', '/api/webhooks/a/app/test'],
      ['GET', '/api/accounts/a/tokens'],
      ['POST', '/api/accounts/a/tokens'],
      ['DELETE', `/api/accounts/a/tokens/${tokenId}`],
    ] as const) {
      assertRefused(await call(m.base, method, path, { token, ...(method === 'POST' ? { body: {} } : {}) }), 403, null, /needs the admin token/);
    }
    // The admin token reaches them.
    assert.equal((await call(m.base, 'GET', '/api/queue')).status, 200);
    assert.equal((await call(m.base, 'GET', '/metrics')).status, 200);
    assert.equal((await call(m.base, 'GET', '/api/accounts/b/keys')).status, 200);
    assert.equal((await call(m.base, 'GET', '/api/stats?account=b')).status, 200);
  });

  it('lists tokens without the secret, and a revoked token is refused at once', async () => {
    const listed = await call(m.base, 'GET', '/api/accounts/a/tokens');
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(token) && !listed.text.includes('sha256:'));
    const entry = (listed.body!['tokens'] as Array<Record<string, unknown>>).find((t) => t['id'] === tokenId)!;
    assert.equal(entry['label'], 'customer portal');
    assert.match(entry['lastUsedAt'] as string, /^\d{4}-/);

    const other = await call(m.base, 'POST', '/api/accounts/b/tokens');
    assert.equal(other.status, 201);
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/keys', { token: other.body!['token'] as string }), 403, 'id', /account "b"/);

    assert.equal((await call(m.base, 'DELETE', `/api/accounts/a/tokens/${tokenId}`)).status, 204);
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/keys', { token }), 401, null, /not valid/);
    assertRefused(await call(m.base, 'DELETE', `/api/accounts/a/tokens/${tokenId}`), 404, 'tokenId');
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/keys', { token: 'txa_not-a-token-at-all' }), 401, null);
    // An API key is not an admin token.
    assertRefused(await call(m.base, 'GET', '/api/accounts/b/keys', { token: KEY_B }), 401, null);
  });
});
