import assert from 'node:assert/strict';
import { copyFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RelayEvent } from '../../src/relay/storage/event-log.js';
import { TOKEN, startAdminFixture, type AdminFixture } from './fixture.js';
import { needTool, requireTool } from '../support/system-tools.js';
import { afterRender } from './after-render.js';

const MIN = 60_000;

/** The text of each cell of a table row, read through the page's own DOM. */
async function rowCells(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).locator('td').allTextContents();
}

describe('dashboard in headless Chromium', { skip: needTool('chromium'), timeout: 120_000 }, () => {
  let f: AdminFixture;
  let browser: Browser;
  let page: Page;

  before(async () => {
    // The page asks for ranges ending at the browser's "now", so the events are placed just before it.
    f = await startAdminFixture({ now: Date.now(), accounts: ['acme', 'beta', 'gamma'] });
    const at = (minutesAgo: number): number => f.now - minutesAgo * MIN;
    const events: RelayEvent[] = [];
    for (let i = 0; i < 5; i++) {
      events.push({ type: 'accepted', time: at(50 - i), id: `w${i}`, account: 'acme', tag: 'welcome', route: 'main', recipient: `user${i}@example.com` });
      events.push({ type: 'delivered', time: at(49 - i), id: `w${i}`, account: 'acme', tag: 'welcome', route: 'main', recipient: `user${i}@example.com`, reply: '250 ok', attempt: 1, latencyMs: 20 + i });
    }
    // Reports that came back later for the welcome mails: a hard bounce, a soft one (a delay), a complaint.
    events.push(
      { type: 'bounced', time: at(40), id: 'w0', account: 'acme', tag: 'welcome', route: 'main', recipient: 'user0@example.com', status: '5.1.1', hard: true, reason: 'userunknown', reply: '550 5.1.1 no such user' },
      { type: 'bounced', time: at(39), id: 'w1', account: 'acme', tag: 'welcome', route: 'main', recipient: 'user1@example.com', status: '4.2.2', hard: false, reason: 'mailboxfull', reply: '452 4.2.2 mailbox full' },
      { type: 'complained', time: at(38), id: 'w2', account: 'acme', tag: 'welcome', route: 'main', recipient: 'user2@example.com', reason: 'feedback', reply: 'abuse' },
    );
    events.push(
      { type: 'accepted', time: at(30), id: 'r1', account: 'acme', tag: 'reset', route: 'main', recipient: 'bob@example.org' },
      { type: 'failed', time: at(29), id: 'r1', account: 'acme', tag: 'reset', route: 'main', recipient: 'bob@example.org', reply: '550 5.1.1 <script>alert(1)</script> no such user', attempt: 1 },
      { type: 'accepted', time: at(20), id: 'r2', account: 'acme', tag: 'reset', route: 'main', recipient: 'cy@example.net' },
      { type: 'deferred', time: at(19), id: 'r2', account: 'acme', tag: 'reset', route: 'main', recipient: 'cy@example.net', reply: '451 4.7.1 try later', attempt: 1 },
      { type: 'accepted', time: at(10), id: 'b1', account: 'beta', tag: 'other-tag', route: 'out', recipient: 'z@beta.test' },
    );
    for (let i = 0; i < 60; i++) events.push({ type: 'accepted', time: at(60 - i / 2), id: `g${i}`, account: 'gamma', tag: 'bulk', route: 'main', recipient: `n${i}@gamma.test` });
    await f.feed(events);
    // A Chromium that cannot start fails launch() at once with its output; 30 s bounds a start that never ends.
    browser = await chromium.launch({
      executablePath: requireTool('chromium'),
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true, timezoneId: 'UTC' });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await f?.close();
  });

  it('asks for the token, then shows per-tag counts for the first account', async () => {
    await page.goto(f.base + '/');
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', TOKEN);
    await page.click('#connect');
    // Stats render first, then the events: once the events table has rendered, both are there.
    await page.locator('#events[data-renders="1"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#account').inputValue(), 'acme');
    // Columns: tag, accepted, delivered, deferred, failed, rejected, suppressed, bounced hard, bounced soft, complained, unsubscribed,
    // opened (total, machines, unique human, unique machine), clicked (the same four), then bounce, complaint, open and
    // click rates (per delivered recipient; opens and clicks unique human).
    const none = ['0', '0', '0', '0', '0', '0', '0', '0'];
    assert.deepEqual(await rowCells(page, '#tags tbody tr[data-tag="welcome"]'), ['welcome', '5', '5', '0', '0', '0', '0', '1', '1', '1', '0', ...none, '40.00%', '20.00%', '0.00%', '0.00%']);
    assert.deepEqual(await rowCells(page, '#tags tbody tr[data-tag="reset"]'), ['reset', '2', '0', '1', '1', '0', '0', '0', '0', '0', '0', ...none, '-', '-', '-', '-']);
    assert.deepEqual(await rowCells(page, '#tags tbody tr.total'), ['Total', '7', '5', '1', '1', '0', '0', '1', '1', '1', '0', ...none, '40.00%', '20.00%', '0.00%', '0.00%']);
    assert.equal(await page.locator('#chart polyline').count(), 13, 'one line per event type, and the unique human opens and clicks');
    assert.equal(await page.locator('#events tbody tr[data-type]').count(), 17, 'every acme event is listed');
  });

  it('keeps the token for the tab across a reload, and writes a readable screenshot', async () => {
    await page.reload();
    await page.locator('#events[data-renders="1"]').waitFor({ state: 'attached' });
    assert.equal(await page.locator('#login').isHidden(), true);
    const shot = join(f.dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok((await stat(shot)).size > 10_000);
    if (process.env['ADMIN_SCREENSHOT_COPY']) await copyFile(shot, process.env['ADMIN_SCREENSHOT_COPY']);
  });

  it('filters recent events by type, tag and recipient, and shows sender text as text', async () => {
    await page.selectOption('#filter-type', 'failed');
    await afterRender(page, '#events', () => page.click('#apply-filters'));
    assert.equal(await page.locator('#events tbody tr[data-type]').count(), 1);
    const failed = await rowCells(page, '#events tbody tr[data-type]');
    assert.equal(failed[1], 'failed');
    assert.equal(failed[3], 'bob@example.org');
    assert.equal(failed[7], '550 5.1.1 <script>alert(1)</script> no such user', 'markup in a reply is shown, not run');

    await page.selectOption('#filter-type', '');
    await page.fill('#filter-tag', 'reset');
    await afterRender(page, '#events', () => page.click('#apply-filters'));
    assert.equal(await page.locator('#events tbody tr[data-type]').count(), 4);
    assert.deepEqual(new Set(await page.locator('#events tbody tr[data-type] td:nth-child(3)').allTextContents()), new Set(['reset']));

    await page.fill('#filter-tag', '');
    await page.fill('#filter-recipient', 'user3@example.com');
    await afterRender(page, '#events', () => page.click('#apply-filters'));
    const types = await page.locator('#events tbody tr[data-type] td:nth-child(2)').allTextContents();
    assert.deepEqual(types, ['delivered', 'accepted']);
    await page.fill('#filter-recipient', '');
  });

  it('narrows to one tag with its recipient domains when the tag is clicked', async () => {
    await afterRender(page, '#tags', () => page.click('#tags tbody tr[data-tag="reset"] button'));
    assert.equal(await page.locator('#domains-section').isVisible(), true);
    assert.equal(await page.locator('#tags tbody tr[data-tag]').count(), 1);
    const domains = await page.locator('#domains tbody tr td:first-child').allTextContents();
    assert.deepEqual([...domains].sort(), ['example.net', 'example.org']);
    assert.equal(await page.locator('#selected-tag').textContent(), 'tag reset');
    await page.click('#all-tags');
    await page.locator('#domains-section').waitFor({ state: 'hidden' });
  });

  it('switches account and downloads the CSV export with the token', async () => {
    await afterRender(page, '#events', () => page.selectOption('#account', 'beta'));
    assert.equal(await page.locator('#tags tbody tr[data-tag="other-tag"]').count(), 1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    assert.match(download.suggestedFilename(), /^txrelay-events-beta-.*\.csv$/);
    const saved = join(f.dir, 'export.csv');
    await download.saveAs(saved);
    const lines = (await readFile(saved, 'utf8')).trim().split('\r\n');
    assert.equal(lines[0], 'time,type,id,account,tag,route,recipient,reply,attempt,latencyMs,dropped,destination');
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /,accepted,b1,beta,other-tag,out,z@beta\.test,/);
  });

  it('pages through events 50 at a time with Older and Newer', async () => {
    await afterRender(page, '#events', () => page.selectOption('#account', 'gamma'));
    const rows = page.locator('#events tbody tr[data-type]');
    assert.equal(await rows.count(), 50);
    assert.equal(await page.locator('#newer').isDisabled(), true);
    const firstPage = await rows.first().locator('td').nth(3).textContent();
    assert.equal(firstPage, 'n59@gamma.test', 'newest first');
    await afterRender(page, '#events', () => page.click('#older'));
    assert.equal(await rows.count(), 10);
    assert.equal(await rows.last().locator('td').nth(3).textContent(), 'n0@gamma.test');
    assert.equal(await page.locator('#older').isDisabled(), true);
    await afterRender(page, '#events', () => page.click('#newer'));
    assert.equal(await rows.count(), 50);
    assert.equal(await rows.first().locator('td').nth(3).textContent(), 'n59@gamma.test');
  });

  it('asks for the token again when the stored one is refused', async () => {
    await page.evaluate("sessionStorage.setItem('txrelay-admin-token', 'wrong-token-wrong-token')");
    await page.reload();
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.match((await page.locator('#login-message').textContent()) ?? '', /refused/);
  });
});
