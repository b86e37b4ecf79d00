// Templates through the management API against a real relay: a template saved over HTTP is used by an SMTP message
// (X-Transactional-Template and X-Transactional-Variables, sent with nodemailer) delivered to a real upstream, and
// what arrives is exactly what the render endpoint answers. Syntax errors name the field with line and column; the
// configuration file's template of a name wins and is read-only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sendWithNodemailer, until } from '../relay/relay-harness.js';
import { assertRefused, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';

const WELCOME = {
  html: '<h1>Hello {{ user.name }}</h1><p>Total: {{ price }} {{ currency | upper }}</p>{% for item in items %}<li>{{ loop.index }}. {{ item }}</li>{% endfor %}',
  subject: 'Welcome {{ user.name }} <{{ plan }}>',
  from: 'Shop <shop@sender.test>',
  replyTo: 'help@sender.test',
  tag: 'welcome',
};
// 10.0 stays a float (prints "10.0", as Jinja2), and markup in a value is escaped in the HTML, not in the subject.
const VARIABLES_JSON = '{"user": {"name": "Ann <b>&</b>"}, "price": 10.0, "currency": "eur", "plan": "pro", "items": ["a", "b"]}';

describe('management API: templates', () => {
  let m: ManagementRelay;

  before(async () => {
    m = await startManagementRelay((json) => {
      json.accounts[0]!['templates'] = { receipt: { html: '<p>Receipt {{ n }}</p>', subject: 'Receipt {{ n }}' } };
    });
  });
  after(async () => {
    await m?.close();
  });

  it('saves a template (201, then 200 when replaced) and shows it with the file\'s', async () => {
    const created = await call(m.base, 'PUT', '/api/accounts/a/templates/welcome', { body: { ...WELCOME, subject: 'draft' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body!['created'], true);
    const replaced = await call(m.base, 'PUT', '/api/accounts/a/templates/welcome', { body: WELCOME });
    assert.equal(replaced.status, 200, replaced.text);
    const t = replaced.body!['template'] as Record<string, unknown>;
    assert.equal(t['subject'], WELCOME.subject);
    assert.equal(t['source'], 'api');
    assert.match(t['revision'] as string, /^[0-9a-f]{16}$/);

    const one = await call(m.base, 'GET', '/api/accounts/a/templates/welcome');
    assert.equal(one.status, 200);
    assert.equal((one.body!['template'] as Record<string, unknown>)['html'], WELCOME.html);

    const list = await call(m.base, 'GET', '/api/accounts/a/templates');
    const names = (list.body!['templates'] as Array<Record<string, unknown>>).map((x) => `${x['name']}:${x['source']}:${x['readOnly']}`);
    assert.deepEqual(names, ['receipt:config:true', 'welcome:api:false']);
    const fileOne = await call(m.base, 'GET', '/api/accounts/a/templates/receipt');
    assert.equal((fileOne.body!['template'] as Record<string, unknown>)['source'], 'config');
  });

  it('renders exactly what the relay delivers for a message with the template and variables', async () => {
    const rendered = await call(m.base, 'POST', '/api/accounts/a/templates/welcome/render', { body: `{"variables": ${VARIABLES_JSON}}`, type: 'application/json' });
    assert.equal(rendered.status, 200, rendered.text);
    const { subject, html } = rendered.body as { subject: string; html: string };
    assert.equal(subject, 'Welcome Ann <b>&</b> <pro>');
    assert.equal(html, '<h1>Hello Ann &lt;b&gt;&amp;&lt;/b&gt;</h1><p>Total: 10.0 EUR</p><li>1. a</li><li>2. b</li>');

    const sent = await sendWithNodemailer(m.t.port, {
      from: 'App <app@sender.test>',
      to: 'Jane <jane@dest.test>',
      subject: 'ignored: the template has a subject',
      html: '<p>ignored: the template has HTML</p>',
      headers: { 'X-Transactional-Template': 'welcome', 'X-Transactional-Variables': VARIABLES_JSON },
    });
    assert.equal(sent.code, 250, sent.response);
    const mail = await until('the message to jane upstream', () => m.upstream.received.find((r) => r.to.includes('jane@dest.test'))?.mail);
    assert.equal(mail.subject, subject);
    assert.equal(typeof mail.html === 'string' ? mail.html.replace(/\r\n/g, '\n').trimEnd() : mail.html, html);
    assert.equal(mail.from?.value[0]?.address, 'shop@sender.test');
    assert.equal((mail.replyTo?.value[0]?.address), 'help@sender.test');
  });

  it('renders the file\'s template and a draft; a render error is 422 and a draft syntax error 400, with line and column', async () => {
    const file = await call(m.base, 'POST', '/api/accounts/a/templates/receipt/render', { body: { variables: { n: 7 } } });
    assert.equal(file.status, 200, file.text);
    assert.deepEqual(file.body, { account: 'a', name: 'receipt', source: 'config', subject: 'Receipt 7', html: '<p>Receipt 7</p>' });
    const empty = await call(m.base, 'POST', '/api/accounts/a/templates/receipt/render');
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.body!['html'], '<p>Receipt </p>', 'no variables: undefined prints empty');

    const draft = await call(m.base, 'POST', '/api/accounts/a/templates/new-one/render', { body: { html: '<b>{{ x }}</b>', variables: { x: '<i>' } } });
    assert.deepEqual(draft.body, { account: 'a', name: 'new-one', source: 'draft', subject: null, html: '<b>&lt;i&gt;</b>' });

    const bad = await call(m.base, 'POST', '/api/accounts/a/templates/welcome/render', { body: { html: '<p>\n  {% if x %}no end' } });
    assertRefused(bad, 400, 'html', /syntax error at line 2, column \d+/);
    assert.equal(bad.body!['kind'], 'syntax');
    assert.equal(bad.body!['line'], 2);
    assert.equal(typeof bad.body!['column'], 'number');

    const failing = await call(m.base, 'POST', '/api/accounts/a/templates/welcome/render', { body: { subject: 'Loop {% for i in range(n) %}x{% endfor %}', variables: { n: 10_000_000 } } });
    assertRefused(failing, 422, 'subject', /line 1, column \d+: .*range/);
    assert.equal(failing.body!['kind'], 'limit');

    assertRefused(await call(m.base, 'POST', '/api/accounts/a/templates/welcome/render', { body: { variables: [1] } }), 400, 'variables', /object/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/templates/welcome/render', { body: { variables: { big: 'x'.repeat(70_000) } } }), 400, 'variables', /maxVariablesBytes/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/templates/nope/render', { body: {} }), 404, 'name', /nope/);
  });

  it('reads a JSON body as the other management endpoints do: an empty one is no fields for a render, not JSON for a PUT', async () => {
    const render = '/api/accounts/a/templates/receipt/render';
    // curl -d '' sends an empty body typed as a form: no variables, as POST .../keys and .../webhooks take it.
    const emptyForm = await call(m.base, 'POST', render, { body: '', type: 'application/x-www-form-urlencoded' });
    assert.equal(emptyForm.status, 200, emptyForm.text);
    assert.equal(emptyForm.body!['html'], '<p>Receipt </p>');
    assertRefused(await call(m.base, 'POST', render, { body: 'variables=1', type: 'application/x-www-form-urlencoded' }), 415, 'body', /application\/json/);
    assertRefused(await call(m.base, 'POST', render, { body: '[1]', type: 'application/json' }), 400, 'body', /must be a JSON object/);
    assertRefused(await call(m.base, 'POST', render, { body: 'nope', type: 'application/json' }), 400, 'body', /is not valid JSON/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: '', type: 'application/json' }), 400, 'body', /is not valid JSON/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: '', type: 'text/plain' }), 415, 'body');
  });

  it('refuses variables nested too deep for the template reader with a 400 naming them, not a 500', async () => {
    // 200,000 levels parse with JSON.parse but overflow the stack of anything that walks them recursively.
    const deep = `{"variables": {"a": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/templates/welcome/render', { body: deep, type: 'application/json' }), 400, 'variables', /nesting deeper than/);
  });

  it('refuses a syntax error with the field, line and column; and bad names, fields and sizes', async () => {
    const html = await call(m.base, 'PUT', '/api/accounts/a/templates/broken', { body: { html: '<p>ok</p>\n<p>{{ user.name </p>' } });
    assertRefused(html, 400, 'html', /template syntax error at line 2, column \d+/);
    assert.equal(html.body!['line'], 2);
    assert.ok((html.body!['column'] as number) > 0);
    const subject = await call(m.base, 'PUT', '/api/accounts/a/templates/broken', { body: { html: '<p>ok</p>', subject: 'Hi {% if %}' } });
    assertRefused(subject, 400, 'subject', /line 1, column \d+/);
    assert.equal((await call(m.base, 'GET', '/api/accounts/a/templates/broken')).status, 404, 'nothing was saved');

    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/receipt', { body: { html: '<p>mine</p>' } }), 409, 'name', /configuration file/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/bad%20name', { body: { html: '<p/>' } }), 400, 'name', /A-Z a-z 0-9/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: {} }), 400, 'html', /required/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: 5 } }), 400, 'html', /string/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: 'x'.repeat(512 * 1024 + 1) } }), 400, 'html', /524288/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: '<p/>', from: 'no address here' } }), 400, 'from');
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: '<p/>', replyTo: 'x@y.test\r\nBcc: z@y.test' } }), 400, 'replyTo', /single line/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: '<p/>', tag: 'Not A Tag' } }), 400, 'tag');
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: { html: '<p/>', css: 'x' } }), 400, 'css', /unknown field/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/a/templates/t', { body: '{"html": ', type: 'application/json' }), 400, 'body', /JSON/);
    assertRefused(await call(m.base, 'PUT', '/api/accounts/nobody/templates/t', { body: { html: '<p/>' } }), 404, 'id');
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/templates/t'), 404, 'name');
  });

  it('deletes a template (204, then 404); an SMTP message naming it is refused; the file\'s template is 409', async () => {
    const put = await call(m.base, 'PUT', '/api/accounts/a/templates/gone', { body: { html: '<p>bye</p>' } });
    assert.equal(put.status, 201);
    assert.equal((await call(m.base, 'DELETE', '/api/accounts/a/templates/gone')).status, 204);
    assertRefused(await call(m.base, 'DELETE', '/api/accounts/a/templates/gone'), 404, 'name', /gone/);
    assertRefused(await call(m.base, 'DELETE', '/api/accounts/a/templates/receipt'), 409, 'name');
    const sent = await sendWithNodemailer(m.t.port, { from: 'app@sender.test', to: 'x@dest.test', subject: 's', html: '<p/>', headers: { 'X-Transactional-Template': 'gone' } });
    assert.equal(sent.code, 554, sent.response);
  });
});

