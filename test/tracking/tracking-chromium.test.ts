// A person's click, in headless Chromium: the delivered message's HTML (from the outbox) is opened, its pixel loads
// and a click on its link goes through the public listener's 302 and lands on the original page (a local server);
// both are recorded. The tracking host is sent to the test listener by the browser's request routing.
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
      json['publicHttp'] = { port: 0, host: '127.0.0.1' };
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
    const sent = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'reader@example.net', subject: 'chromium tracked', html });
    assert.equal(sent.code, 250, sent.response);
    const folder = t.outbox('out-main');
    await waitForSubject(folder, 'chromium tracked');
    let delivered = '';
    for (const name of await rawOutbox(folder)) {
      const mail = await simpleParser(await readFile(join(folder, name)));
      if (mail.subject === 'chromium tracked') delivered = mail.html as string;
    }
    assert.match(delivered, /href="http:\/\/t\.relay\.example\/c\//);

    const context = await browser.newContext();
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
        break;
      }
      assert.ok(Date.now() < deadline, `opened ${opened.length}, clicked ${clicked.length}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  });
});
