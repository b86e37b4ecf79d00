// Webhook endpoints through the management API against a real relay (local store): an endpoint made over HTTP points
// at a real receiver (node:http) that checks every signature with the `standardwebhooks` npm package; a message sent
// over SMTP reaches it as message.accepted and message.delivered; a generated secret is shown once and signs; after a
// DELETE nothing more is posted. Bodies follow the configuration's rules (each refusal names its field), the file's
// ids are the file's (409), the secret is never listed, and an account token manages its own account's endpoints only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateWebhookSecret } from '../../src/relay/webhooks/index.js';
import { sendWithNodemailer } from '../relay/relay-harness.js';
import { waitUntil } from '../reliability/relay-child.js';
import { WebhookReceiver } from '../webhooks/receiver.js';
import { assertRefused, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';

const FILE_SECRET = generateWebhookSecret();

describe('management API: webhook endpoints', () => {
  let m: ManagementRelay;
  const receivers: WebhookReceiver[] = [];

  const receiver = async (secret: string): Promise<WebhookReceiver> => {
    const r = await new WebhookReceiver(secret).start();
    receivers.push(r);
    return r;
  };
  /** Waits until the relay's dispatcher runs (or no longer runs) the endpoint: GET /api/webhooks. */
  const running = async (id: string, yes = true): Promise<void> => {
    const ok = await waitUntil(async () => {
      const list = (await call(m.base, 'GET', '/api/webhooks')).body!['webhooks'] as Array<{ id: string }>;
      return list.some((w) => w.id === id) === yes;
    }, 2_000, 20);
    assert.ok(ok, `endpoint ${id} ${yes ? 'running' : 'stopped'} within 2 s`);
  };
  const types = (r: WebhookReceiver, messageId: string): string[] => r.requests.filter((q) => q.payload.data['messageId'] === messageId).map((q) => q.payload.type).sort();
  const send = async (subject: string): Promise<string> => {
    const r = await sendWithNodemailer(m.t.port, { from: 'app@example.com', to: 'user@example.net', subject, html: '<p>Hello</p>' });
    assert.equal(r.code, 250, r.response);
    return /queued as (\S+)/.exec(r.response)![1]!;
  };

  before(async () => {
    m = await startManagementRelay((json) => {
      json.accounts[0]!['webhooks'] = [{ id: 'file-hook', url: 'https://file.example/hook', events: ['failed'], secret: FILE_SECRET }];
    });
  });
  after(async () => {
    await m?.close();
    for (const r of receivers) await r.stop();
  });

  it('posts signed message.accepted and message.delivered events to an endpoint made through the API, and none after its DELETE', async () => {
    const secret = generateWebhookSecret();
    const r = await receiver(secret);
    const created = await call(m.base, 'POST', '/api/accounts/a/webhooks', { body: { id: 'orders', url: r.url, events: ['accepted', 'delivered'], secret } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body!['secret'], secret, 'the secret given is the one kept');
    const view = created.body!['webhook'] as Record<string, unknown>;
    assert.deepEqual([view['id'], view['source'], view['url'], view['events'], view['timeoutMs'], view['maxInFlight']], ['orders', 'api', r.url, ['accepted', 'delivered'], 10_000, 4]);
    await running('orders');

    const id = await send('first');
    assert.ok(await waitUntil(() => types(r, id).length === 2, 10_000, 20), `accepted and delivered arrive: ${JSON.stringify(r.requests.map((q) => q.payload))}`);
    assert.deepEqual(types(r, id), ['message.accepted', 'message.delivered']);
    assert.ok(r.requests.every((q) => q.verified), 'every request verifies with standardwebhooks');

    const deleted = await call(m.base, 'DELETE', '/api/accounts/a/webhooks/orders');
    assert.equal(deleted.status, 204, deleted.text);
    await running('orders', false);
    const before = r.requests.length;
    const second = await send('second');
    assert.ok(await waitUntil(() => m.upstream.received.some((x) => x.mail.subject === 'second'), 10_000, 20), 'the second message is delivered');
    await m.t.relay.events.flush();
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(r.requests.length, before, `nothing posted after the DELETE (got ${JSON.stringify(types(r, second))})`);
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/webhooks/orders'), 404, 'webhookId');
  });

  it('makes the secret when none is given, shows it once, signs with it, and keeps it through a PUT', async () => {
    const created = await call(m.base, 'POST', '/api/accounts/a/webhooks', { body: { url: 'https://nowhere.invalid/hook' } });
    assert.equal(created.status, 201, created.text);
    const secret = created.body!['secret'] as string;
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const view = created.body!['webhook'] as Record<string, unknown>;
    const id = view['id'] as string;
    assert.match(id, /^wh_[A-Za-z0-9_-]{12}$/);
    assert.equal((view['events'] as string[]).length, 11, 'every event type by default');

    const r = await receiver(secret);
    const put = await call(m.base, 'PUT', `/api/accounts/a/webhooks/${id}`, { body: { url: r.url, events: ['delivered'] } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body!['secretChanged'], false);
    assert.equal(put.text.includes(secret), false, 'a PUT does not show the secret');
    await waitUntil(async () => ((await call(m.base, 'GET', '/api/webhooks')).body!['webhooks'] as Array<{ id: string; url: string }>).some((w) => w.id === id && w.url === r.url), 2_000, 20);

    const messageId = await send('generated secret');
    assert.ok(await waitUntil(() => types(r, messageId).length === 1, 10_000, 20), 'delivered arrives at the new URL');
    assert.deepEqual(types(r, messageId), ['message.delivered']);
    assert.ok(r.requests.every((q) => q.verified), 'signed with the generated secret');

    const list = await call(m.base, 'GET', '/api/accounts/a/webhooks');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.text.includes(secret) || list.text.includes(FILE_SECRET), false, 'the list never shows a secret');
    const hooks = list.body!['webhooks'] as Array<Record<string, unknown>>;
    assert.deepEqual(hooks.map((w) => [w['id'], w['source'], w['readOnly']]), [['file-hook', 'config', true], [id, 'api', false]]);
    const one = await call(m.base, 'GET', `/api/accounts/a/webhooks/${id}`);
    assert.equal((one.body!['webhook'] as Record<string, unknown>)['url'], r.url);
    assert.equal(one.text.includes(secret), false);
    assert.equal((await call(m.base, 'DELETE', `/api/accounts/a/webhooks/${id}`)).status, 204);
  });

  it('refuses a body the configuration would refuse, naming the field', async () => {
    const post = (body: unknown) => call(m.base, 'POST', '/api/accounts/a/webhooks', { body });
    assertRefused(await post({}), 400, 'url', /required/);
    assertRefused(await post({ url: 'ftp://example.com/x' }), 400, 'url', /http:\/\/ or https:\/\//);
    assertRefused(await post({ url: 'https://u:p@example.com/x' }), 400, 'url', /credentials/);
    assertRefused(await post({ url: 'https://example.com/x', events: ['opened', 'nope'] }), 400, 'events[1]', /must be one of/);
    assertRefused(await post({ url: 'https://example.com/x', events: [] }), 400, 'events', /at least one/);
    assertRefused(await post({ url: 'https://example.com/x', secret: 'hunter2' }), 400, 'secret', /whsec_/);
    assertRefused(await post({ url: 'https://example.com/x', timeoutMs: 5 }), 400, 'timeoutMs', /between 100 and 120000/);
    assertRefused(await post({ url: 'https://example.com/x', maxInFlight: 'many' }), 400, 'maxInFlight', /integer/);
    assertRefused(await post({ url: 'https://example.com/x', id: 'no spaces' }), 400, 'id', /\[A-Za-z0-9._-\]/);
    assertRefused(await post({ url: 'https://example.com/x', secretFile: '/etc/passwd' }), 400, 'secretFile', /unknown field/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/webhooks', { body: 'url=x', type: 'text/plain' }), 415, 'body');
    assertRefused(await post({ id: 'file-hook', url: 'https://example.com/x' }), 409, 'id', /configuration file/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/webhooks/file-hook', { body: { url: 'https://example.com/x' } }), 409, 'id');
    assertRefused(await call(m.base, 'DELETE', '/api/accounts/a/webhooks/file-hook'), 409, 'id');
    assert.equal((await post({ id: 'twice', url: 'https://example.com/x' })).status, 201);
    assertRefused(await post({ id: 'twice', url: 'https://example.com/y' }), 409, 'id', /already/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/webhooks/twice', { body: { id: 'other', url: 'https://example.com/x' } }), 400, 'id');
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/webhooks/missing', { body: { url: 'https://example.com/x' } }), 404, 'webhookId');
    assertRefused(await call(m.base, 'POST', '/api/accounts/nobody/webhooks', { body: { url: 'https://example.com/x' } }), 404, 'id');
    assert.equal((await call(m.base, 'DELETE', '/api/accounts/a/webhooks/twice')).status, 204);
  });

  it('lets an account token manage its own account\'s endpoints and no other', async () => {
    const issued = await call(m.base, 'POST', '/api/accounts/a/tokens', { body: { label: 'webhooks' } });
    assert.equal(issued.status, 201, issued.text);
    const token = issued.body!['token'] as string;
    const created = await call(m.base, 'POST', '/api/accounts/a/webhooks', { token, body: { id: 'mine', url: 'https://example.com/mine' } });
    assert.equal(created.status, 201, created.text);
    assert.equal((await call(m.base, 'GET', '/api/accounts/a/webhooks/mine', { token })).status, 200);
    assertRefused(await call(m.base, 'GET', '/api/accounts/b/webhooks', { token }), 403, 'id');
    assertRefused(await call(m.base, 'POST', '/api/accounts/b/webhooks', { token, body: { url: 'https://example.com/b' } }), 403, 'id');
    assertRefused(await call(m.base, 'GET', '/api/webhooks', { token }), 403, null);
    assert.equal((await call(m.base, 'DELETE', '/api/accounts/a/webhooks/mine', { token })).status, 204);
  });
});
