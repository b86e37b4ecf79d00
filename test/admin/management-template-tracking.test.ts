// A template made through the management API carries its own open and click tracking, as a file template does
// (template > tag > account, field by field): a message using it over SMTP leaves with the pixel and its links
// rewritten while the account's own setting is off; the body is checked with the configuration's own rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sendWithNodemailer, until } from '../relay/relay-harness.js';
import { assertRefused, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';

const HTML = '<html><body><p>Hello {{ name }}: <a href="https://shop.example/orders/7">your order</a></p></body></html>';

describe('management API: template tracking', () => {
  let m: ManagementRelay;
  before(async () => {
    m = await startManagementRelay((json) => {
      json['publicHttp'] = { port: 0, host: '127.0.0.1' };
      // Off for the account; the base URL is what a template that turns tracking on falls back on.
      json.accounts[0]!['tracking'] = { opens: false, clicks: false, baseUrl: 'https://t.relay.example' };
    });
  });
  after(async () => {
    await m?.close();
  });

  const deliveredHtml = (subject: string): Promise<string> =>
    until(`the message "${subject}" upstream`, () => m.upstream.received.find((r) => r.mail.subject === subject)?.mail.html || undefined);


  it('tracks the messages of a template saved with tracking on, and not those of one without', async () => {
    const put = await call(m.base, 'PUT', '/api/accounts/a/templates/receipt', { body: { html: HTML, subject: 'tracked {{ name }}', tracking: { opens: true, clicks: true } } });
    assert.equal(put.status, 201, put.text);
    assert.deepEqual((put.body!['template'] as Record<string, unknown>)['tracking'], { opens: true, clicks: true, baseUrl: null });
    assert.equal((await call(m.base, 'PUT', '/api/accounts/a/templates/plain', { body: { html: HTML, subject: 'untracked {{ name }}' } })).status, 201);

    for (const template of ['receipt', 'plain']) {
      const r = await sendWithNodemailer(m.t.port, { from: 'app@example.com', to: 'ann@example.net', subject: 'ignored', html: '<p>x</p>', headers: { 'X-Transactional-Template': template, 'X-Transactional-Variables': '{"name":"Ann"}' } });
      assert.equal(r.code, 250, r.response);
    }
    const tracked = await deliveredHtml('tracked Ann');
    assert.match(tracked, /href="https:\/\/t\.relay\.example\/c\/[A-Za-z0-9_-]+"/, 'the link is rewritten');
    assert.match(tracked, /<img src="https:\/\/t\.relay\.example\/o\/[A-Za-z0-9_-]+"/, 'the pixel is added');
    const plain = await deliveredHtml('untracked Ann');
    assert.ok(plain.includes('href="https://shop.example/orders/7"') && !plain.includes('/o/'), plain);
  });

  it('refuses a tracking field the configuration would refuse, naming it', async () => {
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/bad', { body: { html: HTML, tracking: { opens: 'yes' } } }), 400, 'tracking.opens');
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/bad', { body: { html: HTML, tracking: { pixels: true } } }), 400, 'tracking.pixels');
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/bad', { body: { html: HTML, tracking: 'on' } }), 400, 'tracking');
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/bad', { body: { html: HTML, tracking: { clicks: true, baseUrl: 'ftp://x' } } }), 400, 'tracking.baseUrl');
  });
});

describe('management API: template tracking without an account base URL', () => {
  let m: ManagementRelay;
  before(async () => {
    m = await startManagementRelay((json) => {
      json['publicHttp'] = { port: 0, host: '127.0.0.1' };
    });
  });
  after(async () => {
    await m?.close();
  });

  it('needs the template\'s own baseUrl when the account has none', async () => {
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: HTML, tracking: { opens: true } } }), 400, 'tracking.baseUrl', /has no tracking\.baseUrl/);
    const ok = await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: HTML, tracking: { opens: true, baseUrl: 'https://t2.relay.example' } } });
    assert.equal(ok.status, 201, ok.text);
  });
});

describe('management API: template tracking on a relay without a public listener', () => {
  let m: ManagementRelay;
  before(async () => {
    m = await startManagementRelay();
  });
  after(async () => {
    await m?.close();
  });

  it('refuses tracking on, naming publicHttp', async () => {
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: HTML, tracking: { opens: true, baseUrl: 'https://t.relay.example' } } }), 400, 'tracking', /publicHttp/);
    assert.equal((await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: HTML, tracking: { opens: false } } })).status, 201);
  });
});
