// Opens and clicks through the whole relay (issue 18): a message sent over SMTP with tracking on leaves with its
// links rewritten and the pixel added, under a DKIM signature mailauth verifies; fetching the pixel and a click
// URL from the public listener records opened/clicked; a click answers 302 to the original URL; a tampered token
// is 404; HEAD and a scanner's user agent are recorded as machine; X-Transactional-Track: none opts a message out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { rawOutbox, relayPerSuite, sendWithNodemailer, waitForSubject, type TestRelay } from '../relay/relay-harness.js';
import { RECORDS, rsaPem } from '../dkim/keys.js';
import { mailauthVerdicts } from '../dkim/verifiers.js';
import type { EventType, StoredEvent } from '../../src/relay/storage/event-log.js';

async function rawWithSubject(folder: string, subject: string): Promise<Buffer> {
  await waitForSubject(folder, subject);
  for (const name of await rawOutbox(folder)) {
    const raw = await readFile(join(folder, name));
    if ((await simpleParser(raw)).subject === subject) return raw;
  }
  throw new Error(`no message "${subject}"`);
}

async function waitForEvents(t: TestRelay, type: EventType, recipient: string, count: number): Promise<StoredEvent[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = (await t.relay.events.read({ type, recipient })).events;
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`no ${type} event for ${recipient}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const HTML =
  '<!DOCTYPE html><html><body><p>Your order: <a href="https://shop.example/orders/42?x=1&amp;y=2">view it</a></p>' +
  '<p><a href="mailto:help@shop.example">help</a> <a href="#top">top</a> <a data-track="off" href="https://shop.example/private">private</a></p></body></html>';
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

describe('open and click tracking (issue 18)', () => {
  let t: TestRelay;
  let base = '';
  relayPerSuite(
    (r) => {
      t = r;
      base = `http://127.0.0.1:${r.relay.publicHttp!.port}`;
    },
    (json, dir) => {
      writeFileSync(join(dir, 'rsa.pem'), rsaPem, { mode: 0o600 });
      json['publicHttp'] = { port: 0, host: '127.0.0.1' };
      const a = json.accounts[0]!;
      a['dkim'] = [{ domain: 'example.com', selector: 'rsa2026', algorithm: 'rsa-sha256', privateKeyFile: join(dir, 'rsa.pem') }];
      a['tracking'] = { opens: true, clicks: true, baseUrl: 'https://t.relay.example' };
    },
  );

  const local = (url: string): string => base + new URL(url).pathname;

  test('links rewritten, pixel added, signed; the pixel and the click are recorded; the click lands on the original URL', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'ann@example.net', subject: 'tracked', html: HTML, headers: { 'X-Transactional-Tag': 'orders' } });
    assert.equal(r.code, 250, r.response);
    const raw = await rawWithSubject(t.outbox('out-main'), 'tracked');
    assert.ok(!/x-transactional-track/i.test(raw.toString('latin1')));
    const verdicts = await mailauthVerdicts(raw, RECORDS);
    assert.ok(verdicts.every((v) => v === 'pass'), JSON.stringify(verdicts));
    const html = (await simpleParser(raw)).html as string;
    const clicks = [...html.matchAll(/href="(https:\/\/t\.relay\.example\/c\/[A-Za-z0-9_-]+)"/g)].map((m) => m[1]!);
    assert.equal(clicks.length, 1);
    assert.ok(html.includes('href="mailto:help@shop.example"') && html.includes('href="#top"') && html.includes('data-track="off" href="https://shop.example/private"'));
    const pixel = /<img src="(https:\/\/t\.relay\.example\/o\/[A-Za-z0-9_-]+)" width="1" height="1" alt=""[^>]*><\/body>/.exec(html)![1]!;

    const gif = await fetch(local(pixel), { headers: { 'user-agent': BROWSER_UA } });
    assert.equal(gif.status, 200);
    assert.equal(gif.headers.get('content-type'), 'image/gif');
    assert.match(gif.headers.get('cache-control')!, /no-store/);
    assert.equal(Buffer.from(await gif.arrayBuffer()).subarray(0, 6).toString('latin1'), 'GIF89a');

    const click = await fetch(local(clicks[0]!), { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    assert.equal(click.status, 302);
    assert.equal(click.headers.get('location'), 'https://shop.example/orders/42?x=1&y=2');

    const [opened] = await waitForEvents(t, 'opened', 'ann@example.net', 1);
    assert.equal(opened!.tag, 'orders');
    assert.equal(opened!.userAgent, BROWSER_UA);
    const [clicked] = await waitForEvents(t, 'clicked', 'ann@example.net', 1);
    assert.equal(clicked!.url, 'https://shop.example/orders/42?x=1&y=2');
    assert.equal(clicked!.client, '127.0.0.1');
    // Within seconds of acceptance: a person rarely reads that fast, so both are flagged.
    assert.equal(opened!.machine, true);
    assert.equal(clicked!.machine, true);
  });

  test('a tampered or forged token is 404, and a click token does not open', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'bob@example.net', subject: 'tampered', html: HTML });
    assert.equal(r.code, 250, r.response);
    const html = (await simpleParser(await rawWithSubject(t.outbox('out-main'), 'tampered'))).html as string;
    const token = /\/c\/([A-Za-z0-9_-]+)"/.exec(html)![1]!;
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    for (const path of [`/c/${flipped}`, `/c/${token}x`, `/o/${token}`, '/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const res = await fetch(base + path, { redirect: 'manual' });
      assert.equal(res.status, 404, path);
    }
  });

  test('HEAD and a scanner user agent are recorded as machine', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'cat@example.net', subject: 'scanned', html: HTML });
    assert.equal(r.code, 250, r.response);
    const html = (await simpleParser(await rawWithSubject(t.outbox('out-main'), 'scanned'))).html as string;
    const url = /href="(https:\/\/t\.relay\.example\/c\/[A-Za-z0-9_-]+)"/.exec(html)![1]!;
    assert.equal((await fetch(local(url), { method: 'HEAD', redirect: 'manual' })).status, 302);
    assert.equal((await fetch(local(url), { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (compatible; Proofpoint URL Defense)' } })).status, 302);
    const clicked = await waitForEvents(t, 'clicked', 'cat@example.net', 2);
    assert.ok(clicked.every((e) => e.machine === true));
  });

  test('X-Transactional-Track: none leaves the body as it was; clicks alone adds no pixel', async () => {
    assert.equal((await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'dan@example.net', subject: 'untracked', html: HTML, headers: { 'X-Transactional-Track': 'none' } })).code, 250);
    const plain = (await simpleParser(await rawWithSubject(t.outbox('out-main'), 'untracked'))).html as string;
    assert.ok(!plain.includes('t.relay.example'));
    assert.ok(plain.includes('href="https://shop.example/orders/42?x=1&amp;y=2"'));
    assert.equal((await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'eve@example.net', subject: 'clicks only', html: HTML, headers: { 'X-Transactional-Track': 'clicks' } })).code, 250);
    const clicksOnly = (await simpleParser(await rawWithSubject(t.outbox('out-main'), 'clicks only'))).html as string;
    assert.ok(clicksOnly.includes('/c/') && !clicksOnly.includes('/o/'));
    const bad = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'fay@example.net', subject: 'bad', html: HTML, headers: { 'X-Transactional-Track': 'sometimes' } });
    assert.equal(bad.code, 554, bad.response);
  });
});
