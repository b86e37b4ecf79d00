// API keys through the management API, used by a real SMTP client (nodemailer) against a real relay: a created key
// authenticates at once, a revoked one is refused at once (AUTH and X-Auth-APIKey), the key is shown once and
// never listed, and every refusal names its field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KEY_A, sendWithNodemailer } from '../relay/relay-harness.js';
import { assertRefused, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';
import { RawClient } from '../reliability/raw-client.js';

describe('management API: API keys', () => {
  let m: ManagementRelay;
  const send = (key: string, subject: string, viaHeader = false) =>
    sendWithNodemailer(
      m.t.port,
      { from: 'App <app@sender.test>', to: 'user@dest.test', subject, html: '<p>hi</p>', ...(viaHeader ? { headers: { 'X-Auth-APIKey': key } } : {}) },
      viaHeader ? { key: KEY_A } : { key },
    );

  before(async () => {
    m = await startManagementRelay();
  });
  after(async () => {
    await m?.close();
  });

  it('creates a key that authenticates over SMTP at once, and a revoked one is refused at once', async () => {
    const created = await call(m.base, 'POST', '/api/accounts/a/keys', { body: { label: 'CMS plugin' } });
    assert.equal(created.status, 201, created.text);
    const { id, key } = created.body as { id: string; key: string };
    assert.match(id, /^key_[A-Za-z0-9_-]{16}$/);
    assert.match(key, /^txr_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body!['label'], 'CMS plugin');
    assert.equal(created.body!['expiresAt'], null);
    assert.match(created.body!['createdAt'] as string, /^\d{4}-\d\d-\d\dT/);

    const ok = await send(key, 'with a new key');
    assert.equal(ok.code, 250, ok.response);

    // Listed with its label and last use; neither the key nor its hash is ever shown.
    const listed = await call(m.base, 'GET', '/api/accounts/a/keys');
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes(key) && !listed.text.includes('sha256:'), listed.text);
    const keys = listed.body!['keys'] as Array<Record<string, unknown>>;
    assert.deepEqual(keys[0], { id: 'config-1', source: 'config', label: null, createdAt: null, expiresAt: null, lastUsedAt: null, expired: false });
    const mine = keys.find((k) => k['id'] === id)!;
    assert.equal(mine['source'], 'api');
    assert.equal(mine['label'], 'CMS plugin');
    assert.match(mine['lastUsedAt'] as string, /^\d{4}-/, 'the use over SMTP is recorded');

    const revoked = await call(m.base, 'DELETE', `/api/accounts/a/keys/${id}`);
    assert.equal(revoked.status, 204);
    assert.equal(revoked.text, '');
    const refused = await send(key, 'after revocation');
    assert.equal(refused.code, 535, refused.response);
    const refusedHeader = await send(key, 'after revocation, in the header', true);
    assert.equal(refusedHeader.code, 535, refusedHeader.response);
    // The configuration file's key is untouched.
    assert.equal((await send(KEY_A, 'file key')).code, 250);

    assertRefused(await call(m.base, 'DELETE', `/api/accounts/a/keys/${id}`), 404, 'keyId', new RegExp(id));
    assert.ok(!((await call(m.base, 'GET', '/api/accounts/a/keys')).body!['keys'] as Array<Record<string, unknown>>).some((k) => k['id'] === id));
  });

  it('stops a session that authenticated with a key at its next DATA once the key is revoked', async () => {
    const created = await call(m.base, 'POST', '/api/accounts/a/keys', { body: { label: 'long session' } });
    const { id, key } = created.body as { id: string; key: string };
    const c = new RawClient(m.t.port);
    try {
      const message = (subject: string): string =>
        `MAIL FROM:<app@sender.test>\r\nRCPT TO:<user@dest.test>\r\nDATA\r\nFrom: App <app@sender.test>\r\nTo: user@dest.test\r\nSubject: ${subject}\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n.\r\n`;
      await c.waitFor(/^220 /m);
      c.write(`EHLO client.test\r\nAUTH PLAIN ${Buffer.from(`\0u\0${key}`).toString('base64')}\r\n`);
      await c.waitFor(/^235 /m);
      c.write(message('first'));
      await c.waitFor(/^250 2\.0\.0 Ok: queued/m);
      assert.equal((await call(m.base, 'DELETE', `/api/accounts/a/keys/${id}`)).status, 204);
      const before = c.text.length;
      c.write(message('second, after the revocation'));
      await c.waitFor(/^535 5\.7\.8 Authentication credentials no longer valid/m, 10_000, before);
      assert.doesNotMatch(c.text.slice(before), /^354 /m, 'no message data is taken after the revocation');
    } finally {
      c.destroy();
    }
  });

  it('keeps a key of account a out of account b, and accepts it in X-Auth-APIKey', async () => {
    const created = await call(m.base, 'POST', '/api/accounts/a/keys', {});
    const { id, key } = created.body as { id: string; key: string };
    assert.equal(created.status, 201);
    assert.equal(created.body!['label'], null);
    assertRefused(await call(m.base, 'DELETE', `/api/accounts/b/keys/${id}`), 404, 'keyId');
    const viaHeader = await send(key, 'header key', true);
    assert.equal(viaHeader.code, 250, viaHeader.response);
  });

  it('stops accepting a key at its expiry', async () => {
    const expiresAt = Date.now() + 1500;
    const created = await call(m.base, 'POST', '/api/accounts/a/keys', { body: { expiresAt } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body!['expiresAt'], new Date(expiresAt).toISOString());
    const key = created.body!['key'] as string;
    assert.equal((await send(key, 'before expiry')).code, 250);
    await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 50));
    assert.equal((await send(key, 'after expiry')).code, 535);
    const listed = (await call(m.base, 'GET', '/api/accounts/a/keys')).body!['keys'] as Array<Record<string, unknown>>;
    assert.equal(listed.find((k) => k['id'] === created.body!['id'])!['expired'], true);
  });

  it('takes an ISO expiry, and refuses a past one, a bad label, an unknown field, a bad body, an unknown account', async () => {
    const iso = new Date(Date.now() + 86_400_000).toISOString();
    const created = await call(m.base, 'POST', '/api/accounts/a/keys', { body: { expiresAt: iso } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body!['expiresAt'], iso);

    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: { expiresAt: Date.now() - 1000 } }), 400, 'expiresAt', /future/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: { expiresAt: 'tomorrow' } }), 400, 'expiresAt', /ISO 8601/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: { label: 'two\nlines' } }), 400, 'label', /single line/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: { label: 'x'.repeat(201) } }), 400, 'label', /200/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: { label: 7 } }), 400, 'label', /string/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: { key: 'mine' } }), 400, 'key', /unknown field/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: '[1]', type: 'application/json' }), 400, 'body', /object/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/keys', { body: 'label=x', type: 'application/x-www-form-urlencoded' }), 415, 'body');
    assertRefused(await call(m.base, 'POST', '/api/accounts/nobody/keys', { body: {} }), 404, 'id', /nobody/);
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/keys?verbose=1'), 400, 'verbose', /unknown parameter/);
    assertRefused(await call(m.base, 'DELETE', '/api/accounts/a/keys/config-1'), 409, 'keyId', /configuration file/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/keys'), 405, null);
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/keys', { token: null }), 401, null);
  });
});
