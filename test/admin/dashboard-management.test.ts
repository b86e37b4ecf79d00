// The dashboard's management sections in headless Chromium, over a real relay (local store) and a real SMTP client:
// a key made in the page authenticates nodemailer and, revoked in the page, is refused; a template's syntax error
// shows its line and column, and once fixed its preview (subject, HTML with its inline styles, no script run) is in
// a sandboxed frame; suppressions are added, searched, paged, removed, exported and imported; an account token sees
// only its own account. No script error and no CSP refusal on the dashboard throughout.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { needTool, requireTool } from '../support/system-tools.js';
import { sendWithNodemailer } from '../relay/relay-harness.js';
import { TOKEN, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';
import { afterRender } from './after-render.js';

async function columnTexts(page: Page, table: string, column: number): Promise<string[]> {
  return page.locator(`${table} tbody tr td:nth-child(${column})`).allTextContents();
}

describe('dashboard management sections in headless Chromium', { skip: needTool('chromium'), timeout: 180_000 }, () => {
  let m: ManagementRelay;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** CSP refusals reported on the console, with the document that reported them. */
  const cspReports: Array<{ url: string; text: string }> = [];

  async function open(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true, timezoneId: 'UTC', permissions: ['clipboard-read', 'clipboard-write'] });
    const p = await context.newPage();
    p.setDefaultTimeout(20_000);
    p.on('pageerror', (e) => pageErrors.push(e.message));
    p.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) cspReports.push({ url: msg.location().url, text: msg.text() });
    });
    await p.goto(m.base + '/');
    await p.fill('#token', token);
    await p.click('#connect');
    await Promise.all(['#keys', '#templates', '#suppressions', '#events'].map((s) => p.locator(`${s}[data-renders="1"]`).waitFor({ state: 'attached' })));
    return p;
  }

  before(async () => {
    m = await startManagementRelay();
    browser = await chromium.launch({
      executablePath: requireTool('chromium'),
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await open(TOKEN);
  });

  after(async () => {
    await browser?.close();
    await m?.close();
  });

  it('creates a key shown once with a copy button; it sends over SMTP; revoked in the page, SMTP AUTH refuses it', async () => {
    assert.equal(await page.locator('#account').inputValue(), 'a');
    assert.deepEqual(await columnTexts(page, '#keys', 1), ['config-1']);
    await page.fill('#key-label', 'page key');
    await afterRender(page, '#keys', () => page.click('#key-create'));
    const secret = (await page.locator('#key-secret').textContent()) ?? '';
    assert.match(secret, /^txr_[A-Za-z0-9_-]{43}$/);
    assert.match((await page.locator('#key-new').textContent()) ?? '', /you will not see it again/);
    await page.click('#key-copy');
    await page.locator('#key-copy', { hasText: /Copied|Selected/ }).waitFor();
    if ((await page.locator('#key-copy').textContent()) === 'Copied') assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);

    const row = page.locator('#keys tbody tr[data-source="api"]');
    assert.equal(await row.count(), 1);
    const id = (await row.getAttribute('data-id'))!;
    assert.deepEqual((await row.locator('td').allTextContents()).slice(1, 3).map((t, i) => (i === 1 ? /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/.test(t) : t)), ['page key', true]);
    assert.equal(await row.locator('td:nth-child(4)').textContent(), 'never');
    assert.equal(await row.locator('td:nth-child(6)').textContent(), 'API');

    const sent = await sendWithNodemailer(m.t.port, { from: 'App <app@sender.test>', to: 'user@dest.test', subject: 'key made in the page', html: '<p>hi</p>' }, { key: secret });
    assert.equal(sent.code, 250, sent.response);

    // Dismissed, the key is gone from the page for good: the list never shows it.
    await page.click('#key-dismiss');
    assert.equal(await page.locator('#key-new').isHidden(), true);
    await afterRender(page, '#keys', () => page.selectOption('#account', 'a'));
    assert.ok(!((await page.locator('body').innerText()).includes(secret)), 'the key is not shown again');

    // Revoking asks first; Cancel keeps the key.
    await page.click(`#keys tr[data-id="${id}"] button.key-revoke`);
    assert.match((await page.locator(`#keys tr[data-id="${id}"] .confirm-question`).textContent()) ?? '', new RegExp(`Revoke ${id}\\?`));
    await page.click(`#keys tr[data-id="${id}"] button.key-revoke-cancel`);
    await page.click(`#keys tr[data-id="${id}"] button.key-revoke`);
    await afterRender(page, '#keys', () => page.click(`#keys tr[data-id="${id}"] button.key-revoke-confirm`));
    assert.equal(await page.locator(`#keys tr[data-id="${id}"]`).count(), 0);
    assert.match((await page.locator('#key-note').textContent()) ?? '', new RegExp(`^Revoked ${id}`));
    const refused = await sendWithNodemailer(m.t.port, { from: 'App <app@sender.test>', to: 'user@dest.test', subject: 'after revocation', html: '<p>hi</p>' }, { key: secret });
    assert.equal(refused.code, 535, refused.response);
  });

  it('shows a template syntax error under the HTML with its line and column, saves the fixed one and previews it in a sandboxed frame', async () => {
    await page.fill('#tpl-name', 'receipt');
    await page.fill('#tpl-subject', 'Receipt {{ order.id }}');
    await page.fill('#tpl-tag', 'receipt');
    await page.fill('#tpl-html', '<h1>Hello {{ name }}</h1>\n<p>Total: {{ total }</p>');
    await afterRender(page, '#template-editor', () => page.click('#tpl-save'));
    const error = page.locator('#tpl-error-html');
    assert.match((await error.textContent()) ?? '', /line 2, column \d+/);
    assert.equal(await error.getAttribute('data-line'), '2');
    assert.match((await page.locator('#tpl-note').textContent()) ?? '', /^Not saved: html: template syntax error at line 2/);
    assert.equal(await page.locator('#templates tbody tr[data-name="receipt"]').count(), 0, 'nothing was saved');

    const html = [
      '<html><head><style>h1 { color: rgb(1, 2, 3); }</style></head>',
      '<body><h1>Hello {{ name }}</h1>',
      '<p id="total" style="font-size: 31px">Total: {{ total }}</p>',
      '<script>document.body.setAttribute("data-ran", "yes"); parent.document.title = "ran";</script>',
      '</body></html>',
    ].join('\n');
    await page.fill('#tpl-html', html);
    await page.fill('#tpl-vars', '{"name": "Jane <J>", "order": {"id": 42}, "total": "9.50"}');
    await afterRender(page, '#template-editor', () => page.click('#tpl-save'));
    assert.equal(await error.textContent(), '');
    assert.match((await page.locator('#tpl-note').textContent()) ?? '', /^Created receipt \(revision [0-9a-f]+\)\.$/);
    assert.deepEqual(await page.locator('#templates tbody tr[data-name="receipt"] td').allTextContents().then((c) => c.slice(0, 4)), ['receipt', 'API', 'Receipt {{ order.id }}', 'receipt']);

    await page.click('#tpl-preview');
    await page.locator('#preview-subject', { hasText: 'Receipt 42' }).waitFor();
    await page.frameLocator('#preview-frame').locator('h1', { hasText: 'Hello Jane <J>' }).waitFor();
    assert.equal(await page.locator('#preview-frame').getAttribute('sandbox'), '', 'sandboxed, scripts not allowed');
    const frame = page.frames().find((f) => f.url().includes('/previews/')) as Frame;
    assert.ok(frame, 'the preview is loaded from /previews/{ticket}');
    // (Evaluated through the browser's debugging protocol: the frame itself runs no script.)
    const seen = await frame.evaluate(`({
      h1: getComputedStyle(document.querySelector('h1')).color,
      total: getComputedStyle(document.getElementById('total')).fontSize,
      ran: document.body.getAttribute('data-ran'),
      escaped: document.querySelector('h1').innerHTML,
    })`);
    // The email's own <style> and style="" apply (its CSP allows them); its script did not run; the variables were escaped.
    assert.deepEqual(seen, { h1: 'rgb(1, 2, 3)', total: '31px', ran: null, escaped: 'Hello Jane &lt;J&gt;' });
    assert.equal(await page.title(), 'txrelay dashboard');
    // The ticket was read once.
    assert.equal((await fetch(frame.url())).status, 404);

    // A render error (422) is shown under the field it comes from, with its line and column.
    await page.fill('#tpl-vars', '{"name": "Jane"}');
    await page.click('#tpl-preview');
    await page.locator('#tpl-error-subject', { hasText: /line 1, column \d+/ }).waitFor();
    assert.match((await page.locator('#preview-note').textContent()) ?? '', /^Preview: subject: template render error/);

    // The relay sends what the preview showed.
    const api = await call(m.base, 'POST', '/api/accounts/a/templates/receipt/render', { body: { variables: { name: 'Jane <J>', order: { id: 42 }, total: '9.50' } } });
    assert.equal(api.body!['subject'], 'Receipt 42');

    // Delete asks first.
    await page.click('#templates tr[data-name="receipt"] button.template-delete');
    await afterRender(page, '#templates', () => page.click('#templates tr[data-name="receipt"] button.template-delete-confirm'));
    assert.equal(await page.locator('#templates tbody tr[data-name="receipt"]').count(), 0);
    assert.equal((await call(m.base, 'GET', '/api/accounts/a/templates/receipt')).status, 404);
  });

  it('adds, searches, pages, removes, exports and imports suppressions, with the errors of each line', async () => {
    for (const [address, reason, tag] of [['Bob@Example.ORG', 'asked by phone', ''], ['alice@example.org', '', ''], ['carol@example.org', 'complaint', 'news']] as const) {
      await page.fill('#supp-address', address);
      await page.fill('#supp-reason', reason);
      await page.fill('#supp-tag', tag);
      await afterRender(page, '#suppressions', () => page.click('#supp-add-button'));
    }
    assert.deepEqual(await columnTexts(page, '#suppressions', 1), ['Bob@Example.ORG', 'alice@example.org', 'carol@example.org']);
    assert.deepEqual(await page.locator('#suppressions tr[data-address="carol@example.org"] td').allTextContents().then((c) => [c[1], c[3]]), ['complaint', 'news']);

    // Search: the domain compares case-insensitively (the local part exactly), an exact address included.
    await page.fill('#supp-query', 'Bob@EXAMPLE.org');
    await afterRender(page, '#suppressions', () => page.click('#supp-find'));
    assert.deepEqual(await columnTexts(page, '#suppressions', 1), ['Bob@Example.ORG']);
    await page.fill('#supp-query', 'c');
    await afterRender(page, '#suppressions', () => page.click('#supp-find'));
    assert.deepEqual(await columnTexts(page, '#suppressions', 1), ['carol@example.org']);
    await page.fill('#supp-query', 'zed');
    await afterRender(page, '#suppressions', () => page.click('#supp-find'));
    assert.deepEqual(await columnTexts(page, '#suppressions', 1), ['No address begins with zed.']);
    await page.fill('#supp-query', '');
    await afterRender(page, '#suppressions', () => page.click('#supp-find'));

    // An import with bad lines imports nothing and lists each error with its line.
    const bad = 'address,reason\nok@example.org,fine\nnot-an-address,oops\n,missing\n';
    await page.setInputFiles('#supp-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await afterRender(page, '#suppressions', () => page.click('#supp-import-button'));
    assert.deepEqual(await page.locator('#import-errors li').allTextContents(), ['line 3: address must be an email address (local@domain)', 'line 4: address is required']);
    assert.equal(await page.locator('#supp-note').textContent(), 'Nothing was imported from bad.csv: 2 error(s).');
    assert.equal(await page.locator('#suppressions tbody tr').count(), 3);

    // A good import of 60 rows; the list then pages by 50.
    const rows = Array.from({ length: 60 }, (_, i) => `user${String(i).padStart(2, '0')}@bulk.test,imported from the old system`).join('\n');
    await page.setInputFiles('#supp-file', { name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(rows + '\nalice@example.org,again\n') });
    await afterRender(page, '#suppressions', () => page.click('#supp-import-button'));
    assert.equal(await page.locator('#supp-note').textContent(), 'Imported good.csv: 61 rows, 60 added, 1 already listed.');
    assert.equal(await page.locator('#import-errors li').count(), 0);
    assert.equal(await page.locator('#suppressions tbody tr').count(), 50);
    assert.equal(await page.locator('#supp-prev').isDisabled(), true);
    await afterRender(page, '#suppressions', () => page.click('#supp-next'));
    const second = await columnTexts(page, '#suppressions', 1);
    assert.equal(second.length, 13);
    assert.equal(second[second.length - 1], 'user59@bulk.test');
    assert.equal(await page.locator('#supp-next').isDisabled(), true);
    await afterRender(page, '#suppressions', () => page.click('#supp-prev'));
    assert.equal((await columnTexts(page, '#suppressions', 1))[0], 'Bob@Example.ORG');

    // Remove one: gone from the page and from the list.
    await afterRender(page, '#suppressions', () => page.click('#suppressions tr[data-address="alice@example.org"] button.supp-remove'));
    assert.equal(await page.locator('#suppressions tr[data-address="alice@example.org"]').count(), 0);
    assert.equal(await page.locator('#supp-note').textContent(), 'Removed alice@example.org.');

    // Export: a CSV download with every entry, which imports back.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#supp-export')]);
    assert.match(download.suggestedFilename(), /^txrelay-suppressions-a-.*\.csv$/);
    const saved = join(m.t.dir, 'export.csv');
    await download.saveAs(saved);
    const csv = (await readFile(saved, 'utf8')).trim().split(/\r?\n/);
    assert.equal(csv[0], 'address,reason,time,tag');
    assert.equal(csv.length, 1 + 62);
    assert.ok(csv.some((l) => /^carol@example\.org,complaint,\d{4}-.*,news$/.test(l)), csv.slice(0, 4).join('\n'));
    const listed = await call(m.base, 'GET', '/api/accounts/a/suppressions?limit=1000');
    assert.equal((listed.body!['suppressions'] as unknown[]).length, 62);
  });

  it('with an account token shows only that account, and a 403 as a message', async () => {
    const issued = await call(m.base, 'POST', '/api/accounts/b/tokens', { body: { label: 'customer b' } });
    assert.equal(issued.status, 201, issued.text);
    const customer = await open(issued.body!['token'] as string);
    assert.deepEqual(await customer.locator('#account option').allTextContents(), ['b']);
    assert.deepEqual(await columnTexts(customer, '#keys', 1), ['config-1']);
    assert.deepEqual(await columnTexts(customer, '#suppressions', 1), ['The list is empty.']);
    assert.equal(await customer.locator('#webhooks-section').isHidden(), true);
    assert.equal(await customer.locator('#status').textContent(), '', 'stats and events load for the account');

    // Pointed at another account (an option added by hand), each section says the token may not, and nothing breaks.
    await customer.evaluate(`(() => {
      const o = document.createElement('option');
      o.value = o.textContent = 'a';
      document.getElementById('account').appendChild(o);
    })()`);
    await afterRender(customer, '#keys', () => customer.selectOption('#account', 'a'));
    assert.match((await customer.locator('#key-note').textContent()) ?? '', /^Keys: not allowed with this token: this token is limited to account "b"/);
    await customer.locator('#supp-note', { hasText: /^Suppressions: not allowed with this token/ }).waitFor();
    await customer.context().close();
  });

  it('had no script error and no CSP refusal on the dashboard', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(cspReports.filter((r) => !r.url.includes('/previews/')), []);
  });
});
