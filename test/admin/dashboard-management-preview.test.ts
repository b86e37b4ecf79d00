// The preview frame's route pair over a real relay's admin server: a ticket needs a token to make, is read once
// without one, and is served under the sandboxing CSP the dashboard relies on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PREVIEW_CSP } from '../../src/relay/admin/template-preview.js';
import { assertRefused, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';

describe('dashboard preview tickets (POST /api/previews, GET /previews/{ticket})', () => {
  let m: ManagementRelay;
  before(async () => {
    m = await startManagementRelay();
  });
  after(async () => {
    await m?.close();
  });

  it('makes a ticket with a token, and serves its HTML once, without a token, under the sandboxing CSP', async () => {
    const html = '<p style="color: red">Hello</p><script>alert(1)</script>';
    const made = await call(m.base, 'POST', '/api/previews', { body: html, type: 'text/html' });
    assert.equal(made.status, 201, made.text);
    const url = made.body!['url'] as string;
    assert.match(url, /^\/previews\/[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(made.body!['expiresAt'] as string) > Date.now());

    const served = await call(m.base, 'GET', url, { token: null });
    assert.equal(served.status, 200);
    assert.equal(served.text, html);
    assert.equal(served.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(served.headers.get('content-security-policy'), PREVIEW_CSP);
    assert.match(PREVIEW_CSP, /(^|; )sandbox($|;)/);
    assert.match(PREVIEW_CSP, /default-src 'none'/);
    assert.doesNotMatch(PREVIEW_CSP, /script-src|allow-scripts/);
    assert.equal(served.headers.get('cache-control'), 'no-store');
    assertRefused(await call(m.base, 'GET', url, { token: null }), 404, 'ticket', /read once/);
  });

  it('refuses a ticket without a token, another media type, and an unknown ticket', async () => {
    assertRefused(await call(m.base, 'POST', '/api/previews', { token: null, body: '<p/>', type: 'text/html' }), 401, null);
    assertRefused(await call(m.base, 'POST', '/api/previews', { body: { html: '<p/>' } }), 415, 'body');
    assertRefused(await call(m.base, 'GET', '/previews/' + 'A'.repeat(43), { token: null }), 404, 'ticket');
    assertRefused(await call(m.base, 'GET', '/previews/not-a-ticket', { token: null }), 404, 'ticket');
  });

  it('is reachable with an account token (its dashboard previews too)', async () => {
    const token = (await call(m.base, 'POST', '/api/accounts/a/tokens')).body!['token'] as string;
    assert.equal((await call(m.base, 'POST', '/api/previews', { token, body: '<p/>', type: 'text/html' })).status, 201);
  });
});
