// The dashboard's Webhooks section in headless Chromium, over a real admin server, event log and webhook dispatcher
// posting to a real node:http receiver that checks each signature with the npm `standardwebhooks` library.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AdminServer } from '../../src/relay/admin/admin-server.js';
import { TagStats } from '../../src/relay/admin/stats.js';
import type { AccountConfig, WebhookConfig } from '../../src/relay/config/index.js';
import { EventLog } from '../../src/relay/storage/event-log.js';
import { WebhookDispatcher, generateWebhookSecret } from '../../src/relay/webhooks/index.js';
import { waitUntil } from '../reliability/relay-child.js';
import { needTool, requireTool } from '../support/system-tools.js';
import { WebhookReceiver, type Answer } from '../webhooks/receiver.js';
import { afterRender } from './after-render.js';

const TOKEN = 'dashboard-webhooks-token-0123456789';
const SECRET = generateWebhookSecret();

describe('dashboard webhooks section in headless Chromium', { skip: needTool('chromium'), timeout: 120_000 }, () => {
  let dir: string;
  let log: EventLog;
  let receiver: WebhookReceiver;
  let dispatcher: WebhookDispatcher;
  let admin: AdminServer;
  let base: string;
  let browser: Browser;
  let page: Page;
  /** The receiver's answer to its n-th request (from 0): 204 unless the test says otherwise. */
  const answers = new Map<number, Answer>();
  const row = (): ReturnType<Page['locator']> => page.locator('#webhooks tbody tr[data-account="acme"][data-id="app"]');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-dash-webhooks-'));
    receiver = await new WebhookReceiver(SECRET).start();
    receiver.answer = (n) => answers.get(n) ?? { slowMs: 0 };
    log = await EventLog.open(join(dir, 'events'), { flushIntervalMs: 5 });
    const hook: WebhookConfig = { id: 'app', url: receiver.url, events: ['delivered', 'failed'], secret: SECRET, secretFile: null, timeoutMs: 2000, maxInFlight: 4, disableAfterMs: 86_400_000 };
    const account: AccountConfig = {
      id: 'acme', name: 'acme', apiKeys: [], routes: {}, defaultRoute: null, templates: {}, rate: { perSecond: null, perDay: null }, senderDomains: null, dkim: [], unsubscribe: null, tracking: null, webhooks: [hook], retention: null,
    };
    dispatcher = await WebhookDispatcher.start([account], { source: log, dir: join(dir, 'webhooks'), logger: pino({ level: 'silent' }), saveDelayMs: 10 });
    admin = new AdminServer({
      host: '127.0.0.1', port: 0, token: TOKEN, metrics: { exposition: () => '' }, stats: new TagStats(), events: log,
      suppressions: { list: () => [], add: async () => true, remove: async () => true }, accounts: () => ['acme'], readiness: () => ({ ready: true }),
      webhooks: dispatcher,
    });
    base = `http://127.0.0.1:${(await admin.listen()).port}`;
    browser = await chromium.launch({
      executablePath: requireTool('chromium'),
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 }, timezoneId: 'UTC' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await admin?.close();
    await dispatcher?.stop();
    await log?.close();
    await receiver?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the endpoint with its URL and state', async () => {
    await page.goto(base + '/');
    await page.fill('#token', TOKEN);
    await page.click('#connect');
    await page.locator('#webhooks[data-renders="1"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#webhooks-section').isVisible(), true);
    assert.equal(await row().count(), 1);
    const cells = await row().locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 7), ['acme', 'app', receiver.url, 'active', '0', '0 s', '-']);
    assert.equal(cells[7], 'none yet');
    assert.equal(await row().locator('button.webhook-test').count(), 1);
    assert.equal(await row().locator('button.webhook-replay').count(), 1);
    assert.equal(await row().locator('button.webhook-enable').count(), 0, 'no Enable on an active endpoint');
  });

  it('sends a signed test event and shows the attempt and the result', async () => {
    await afterRender(page, '#webhooks', () => row().locator('button.webhook-test').click());
    assert.equal(receiver.requests.length, 1);
    const got = receiver.requests[0]!;
    assert.equal(got.verified, true, 'standardwebhooks verifies the signature');
    assert.equal(got.payload.type, 'webhook.test');
    assert.deepEqual(got.payload.data, { account: 'acme' });
    assert.match((await page.locator('#webhook-result').textContent()) ?? '', /^Test event to acme\/app answered HTTP 204 in \d+ ms$/);
    const attempts = await row().locator('ul.attempts li').allTextContents();
    assert.equal(attempts.length, 1);
    assert.match(attempts[0]!, /^204, \d+ ms, \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.equal(await row().locator('ul.attempts li').getAttribute('title'), `webhook.test ${got.id}`);
  });

  it('shows a refused test event as an error', async () => {
    answers.set(1, '410');
    await afterRender(page, '#webhooks', () => row().locator('button.webhook-test').click());
    assert.equal(receiver.requests.length, 2);
    assert.equal(receiver.requests[1]!.verified, true);
    assert.match((await page.locator('#webhook-result').textContent()) ?? '', /^Test event to acme\/app failed: HTTP 410 in \d+ ms$/);
    assert.equal(await page.locator('#webhook-result').getAttribute('class'), 'error');
    const attempts = await row().locator('ul.attempts li').allTextContents();
    assert.equal(attempts.length, 2);
    assert.match(attempts[0]!, /^410, /, 'newest first');
  });

  it('shows an endpoint disabled by a 410 with its reason and an Enable button that brings it back', async () => {
    // A test event is outside the queue and never disables (see WebhookEndpoint.sendTest); a queued event answered 410 does.
    answers.set(2, '410');
    log.append({ type: 'delivered', id: 'Q1', account: 'acme', tag: 'receipt', route: 'main', recipient: 'ann@example.com', reply: '250 ok', attempt: 1, latencyMs: 5 });
    await log.written();
    assert.ok(await waitUntil(() => dispatcher.list()[0]!.state === 'disabled', 5000, 10), 'disabled by the 410');
    await afterRender(page, '#webhooks', () => page.click('#refresh'));
    assert.equal(await row().getAttribute('data-state'), 'disabled');
    assert.equal(await row().locator('.state-disabled').textContent(), 'disabled');
    assert.match((await row().locator('.reason').textContent()) ?? '', /^410 Gone from http:\/\/127\.0\.0\.1:\d+\/hooks\/mail \(/);
    assert.equal(await row().locator('button.webhook-enable').count(), 1);

    await afterRender(page, '#webhooks', () => row().locator('button.webhook-enable').click());
    assert.equal(await page.locator('#webhook-result').textContent(), 'Enabled acme/app (state active)');
    assert.equal(await row().getAttribute('data-state'), 'active');
    assert.equal(await row().locator('button.webhook-enable').count(), 0);
    // The refused event is sent again with its webhook-id, and acknowledged.
    assert.ok(await waitUntil(() => receiver.requests.length === 4 && dispatcher.list()[0]!.pending === 0, 5000, 10), 'the event sent again');
    assert.equal(receiver.requests[3]!.id, receiver.requests[2]!.id);
    assert.equal(receiver.requests[3]!.verified, true);
    await afterRender(page, '#webhooks', () => page.click('#refresh'));
    assert.match((await row().locator('ul.attempts li').first().textContent()) ?? '', /^204, /);
  });

  it('replays from a time chosen in the datetime-local input', async () => {
    // The browser runs in UTC, so the local time typed is the UTC time of the event above, minus a minute.
    const from = new Date(Date.now() - 10 * 60_000).toISOString().slice(0, 16);
    await row().locator('input.webhook-from').fill(from);
    await afterRender(page, '#webhooks', () => row().locator('button.webhook-replay').click());
    assert.match((await page.locator('#webhook-result').textContent()) ?? '', new RegExp(`^Replaying acme/app from ${from.replace('T', ' ')}:00Z \\(state (active|retrying)\\)$`));
    assert.ok(await waitUntil(() => receiver.requests.length === 5, 5000, 10), 'the event replayed');
    assert.equal(receiver.requests[4]!.id, receiver.requests[2]!.id, 'replayed with its id');
  });

  it('says so when the replay time is missing, and hides the section when there are no endpoints', async () => {
    await row().locator('input.webhook-from').fill('');
    await row().locator('button.webhook-replay').click();
    assert.equal(await page.locator('#webhook-result').textContent(), 'Replay acme/app: choose a time first.');
    await dispatcher.reload([]);
    await afterRender(page, '#webhooks', () => page.click('#refresh'));
    assert.equal(await page.locator('#webhooks-section').isHidden(), true);
  });
});
