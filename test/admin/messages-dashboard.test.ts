// The dashboard's "Message activity" section in headless Chromium, over a real relay (file route, retention on for
// account "a"): search by recipient, open a message's timeline, download what was sent, look a message up by id.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MessageTimeline } from '../../src/relay/admin/message-activity.js';
import { needTool, requireTool } from '../support/system-tools.js';
import { removeDir, sendWithNodemailer, startTestRelay, type TestRelay } from '../relay/relay-harness.js';
import { afterRender } from './after-render.js';

const TOKEN = 'messages-dashboard-token-0123456789';

describe('dashboard message activity in headless Chromium', { skip: needTool('chromium'), timeout: 120_000 }, () => {
  let t: TestRelay;
  let base: string;
  let browser: Browser;
  let page: Page;
  const ids: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    t = await startTestRelay((json) => {
      json['admin'] = { host: '127.0.0.1', port: 0, token: TOKEN };
      json.accounts[0]!['retention'] = { days: 3 };
    });
    base = `http://127.0.0.1:${t.relay.admin!.port}`;
    for (const [to, subject] of [['jane@example.org, bob@example.org', 'Welcome both'], ['jane@example.org', 'Your receipt']] as const) {
      const r = await sendWithNodemailer(t.port, { from: 'Shop <shop@sender.test>', to, subject, html: `<p>${subject}</p>`, headers: { 'X-Transactional-Tag': 'shop' } });
      assert.equal(r.code, 250, r.response);
      ids.push(/queued as (\S+)/.exec(r.response)![1]!);
    }
    // The file route delivers at once; wait (bounded) until every recipient is delivered.
    const deadline = Date.now() + 15_000;
    for (const id of ids) {
      for (;;) {
        const res = await fetch(`${base}/api/messages/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        const m = (await res.json()) as MessageTimeline;
        if (res.status === 200 && m.recipients.every((r) => r.status === 'delivered')) break;
        assert.ok(Date.now() < deadline, `message ${id} not delivered: ${JSON.stringify(m)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    browser = await chromium.launch({
      executablePath: requireTool('chromium'),
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true, timezoneId: 'UTC' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // A refused script or style is reported on the console (a 404 answer is too, and is expected here).
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
    });
    await page.goto(base + '/');
    await page.fill('#token', TOKEN);
    await page.click('#connect');
    await page.locator('#events[data-renders="1"]').waitFor({ state: 'attached' });
  });

  after(async () => {
    await browser?.close();
    await t?.stop();
    if (t) await removeDir(t.dir);
  });

  it('searches by recipient and lists each message once, newest first, with its recipients and states', async () => {
    await page.fill('#message-query', 'jane@example.org');
    await afterRender(page, '#messages', () => page.click('#message-go'));
    const rows = page.locator('#messages tbody tr');
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))), [ids[1], ids[0]]);
    assert.equal(await rows.first().locator('td.recipients').textContent(), 'jane@example.org delivered');
    assert.match((await page.locator('#message-note').textContent()) ?? '', /^2 message\(s\); \d+ events read$/);
    assert.equal(await page.locator('#messages-more').isHidden(), true);
  });

  it('opens a message: per recipient, accepted then delivered with the reply, and downloads what was sent', async () => {
    await afterRender(page, '#message-detail', () => page.click(`#messages tbody tr[data-id="${ids[0]}"] button.message-open`));
    assert.equal(await page.locator('#message-title').textContent(), `Message ${ids[0]}`);
    assert.match((await page.locator('#message-facts').textContent()) ?? '', /account a · tag shop · route main · accepted .* · copies kept until /);
    const jane = page.locator('#message-recipients div.recipient[data-recipient="jane@example.org"]');
    assert.deepEqual(await jane.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type'))), ['accepted', 'delivered']);
    assert.match((await jane.locator('tbody tr[data-type="delivered"] td.reply').textContent()) ?? '', /\S/);
    assert.equal(await page.locator('#message-recipients div.recipient').count(), 2);
    const [download] = await Promise.all([page.waitForEvent('download'), jane.locator('button.message-content').click()]);
    assert.equal(download.suggestedFilename(), `${ids[0]}-jane_example.org.eml`);
    const saved = join(t.dir, 'download.eml');
    await download.saveAs(saved);
    const eml = await readFile(saved, 'utf8');
    assert.match(eml, /^Subject: Welcome both\r$/m);
    assert.match(eml, /^To: <?jane@example\.org>?\r$/m);
  });

  it('looks a message up by its queue id, and names an unknown one', async () => {
    await page.fill('#message-query', ids[1]!);
    await afterRender(page, '#message-detail', () => page.click('#message-go'));
    assert.equal(await page.locator('#message-title').textContent(), `Message ${ids[1]}`);
    assert.equal(await page.locator('#message-recipients div.recipient').count(), 1);
    await page.fill('#message-query', 'nosuchmessage');
    await afterRender(page, '#message-detail', () => page.click('#message-go'));
    assert.equal(await page.locator('#message-detail').isHidden(), true);
    assert.match((await page.locator('#message-note').textContent()) ?? '', /^Message nosuchmessage: id: no events of message nosuchmessage/);
    assert.deepEqual(pageErrors, [], 'no script error, no CSP refusal');
  });
});
