// A person's click, in headless Chromium: the delivered message's HTML (from the outbox) is opened, its pixel loads
// and a click on its link goes through the public listener's 302 and lands on the original page (a local server);
// both are recorded, and the admin dashboard shows them as the unique human open and click of the tag, with the
// rates. The tracking host is sent to the test listener by the browser's request routing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { rawOutbox, relayPerSuite, sendWithNodemailer, waitForSubject, type TestRelay } from '../relay/relay-harness.js';
import { needTool, requireTool } from '../support/system-tools.js';

const ADMIN_TOKEN = 'tracking-chromium-admin-token-0123456789';

describe('tracking in headless Chromium', { skip: needTool('chromium'), timeout: 120_000 }, () => {
  let t: TestRelay;
  let browser: Browser;
  let landing: Server;
  let landingBase = '';
  let publicBase = '';
  relayPerSuite(
    (r) => {
      t = r;
      publicBase = `http://127.0.0.1:${r.relay.publicHttp!.port}`;
    },
    (json) => {
      // The acceptance window is off: the browser reads the message at once, as a person here does.
      json['publicHttp'] = { port: 0, host: '127.0.0.1', tracking: { machineWindowSeconds: 0 } };
      json['admin'] = { port: 0, host: '127.0.0.1', token: ADMIN_TOKEN };
      json.accounts[0]!['tracking'] = { opens: true, clicks: true, baseUrl: 'http://t.relay.example' };
    },
  );

  before(async () => {
    landing = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><title>Landing</title><h1 id="landed">${req.url}</h1>`);
    });
    await new Promise<void>((resolve) => landing.listen(0, '127.0.0.1', resolve));
    landingBase = `http://127.0.0.1:${(landing.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: requireTool('chromium'),
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => landing?.close(resolve));
  });

  it('loads the pixel, follows the click to the original page, and records both', async () => {
    const target = `${landingBase}/offer?id=7&src=mail`;
    const html = `<!DOCTYPE html><html><body><p><a id="offer" href="${target.replace('&', '&amp;')}">See the offer</a></p></body></html>`;
    const sent = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'reader@example.net', subject: 'chromium tracked', html, headers: { 'X-Transactional-Tag': 'offers' } });
    assert.equal(sent.code, 250, sent.response);
    const folder = t.outbox('out-main');
    await waitForSubject(folder, 'chromium tracked');
    let delivered = '';
    for (const name of await rawOutbox(folder)) {
      const mail = await simpleParser(await readFile(join(folder, name)));
      if (mail.subject === 'chromium tracked') delivered = mail.html as string;
    }
    assert.match(delivered, /href="http:\/\/t\.relay\.example\/c\//);

    // Headless Chromium names itself "HeadlessChrome", which the machine heuristic flags; a person's browser does not.
    const context = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36' });
    // The public name of the listener (behind its reverse proxy in production) reaches the test listener.
    await context.route('http://t.relay.example/**', (route) => route.continue({ url: publicBase + new URL(route.request().url()).pathname }));
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.setContent(delivered, { waitUntil: 'load' });
    await page.click('#offer');
    await page.waitForURL(target);
    assert.equal(await page.locator('#landed').textContent(), '/offer?id=7&src=mail');
    await context.close();

    const deadline = Date.now() + 10_000;
    for (;;) {
      const opened = (await t.relay.events.read({ type: 'opened', recipient: 'reader@example.net' })).events;
      const clicked = (await t.relay.events.read({ type: 'clicked', recipient: 'reader@example.net' })).events;
      if (opened.length >= 1 && clicked.length >= 1) {
        assert.equal(clicked[0]!.url, target);
        assert.match(clicked[0]!.userAgent!, /Chrome/);
        assert.equal(clicked[0]!.machine, false);
        break;
      }
      assert.ok(Date.now() < deadline, `opened ${opened.length}, clicked ${clicked.length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  it('shows the open and the click in the dashboard: unique human columns, rates and chart lines', async () => {
    const adminBase = `http://127.0.0.1:${t.relay.admin!.port}`;
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    try {
      await page.goto(adminBase + '/');
      await page.fill('#token', ADMIN_TOKEN);
      await page.click('#connect');
      const row = page.locator('#tags tbody tr[data-tag="offers"]');
      await row.waitFor({ state: 'attached' });
      const cells = await row.locator('td').allTextContents();
      const header = (await page.locator('#tags thead th').allTextContents()).map((h) => h.trim());
      const cell = (name: string): string => cells[header.indexOf(name)]!;
      assert.equal(cell('Delivered'), '1');
      assert.equal(cell('Opened by machines'), '0');
      assert.equal(cell('Unique opens (human)'), '1');
      assert.equal(cell('Unique clicks (human)'), '1');
      assert.equal(cell('Clicked by machines'), '0');
      assert.equal(cell('Open rate (unique human)'), '100.00%');
      assert.equal(cell('Click rate (unique human)'), '100.00%');
      assert.equal(await page.locator('#chart polyline[data-type="openedUniqueHuman"]').count(), 1);
      assert.equal(await page.locator('#chart polyline[data-type="clickedUniqueHuman"]').count(), 1);
    } finally {
      await page.close();
    }
  });
});
