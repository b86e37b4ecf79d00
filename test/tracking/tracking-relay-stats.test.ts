// Opens and clicks counted honestly through the whole relay (issue 18): a person's opens and clicks, an Apple MPP
// fetch (built-in range, behind the trusted proxy) and a scanner in an operator range, as /api/stats (unique and
// total, human and machine, rates against delivered) and /metrics (counters, latency histogram) give them over HTTP;
// an expired record's link is 404; after a restart the stats rebuilt from the event log are the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { rawOutbox, removeDir, sendWithNodemailer, startTestRelay, waitForSubject, type ConfigPatch, type TestRelay } from '../relay/relay-harness.js';
import type { EventType } from '../../src/relay/storage/event-log.js';

const TOKEN = 'tracking-stats-admin-token-0123456789';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const HTML = '<!DOCTYPE html><html><body><p><a href="https://shop.example/offer">offer</a></p></body></html>';

const patch: ConfigPatch = (json) => {
  // A person may read at once here: the acceptance window is off, so only agents, HEAD and ranges flag machines.
  json['publicHttp'] = { port: 0, host: '127.0.0.1', trustProxy: ['127.0.0.1'], tracking: { machineWindowSeconds: 0, machineRanges: ['203.0.113.0/24'] } };
  json['admin'] = { port: 0, host: '127.0.0.1', token: TOKEN };
  json.accounts[0]!['tracking'] = { opens: true, clicks: true, baseUrl: 'https://t.relay.example' };
};

/** Pixel and click URLs of each recipient's copy of the message with this subject, by recipient. */
async function trackedUrls(t: TestRelay, subject: string, count: number): Promise<Map<string, { pixel: string; click: string; id: string }>> {
  const folder = t.outbox('out-main');
  await waitForSubject(folder, subject, count);
  const out = new Map<string, { pixel: string; click: string; id: string }>();
  for (const name of await rawOutbox(folder)) {
    const mail = await simpleParser(await readFile(join(folder, name)));
    if (mail.subject !== subject) continue;
    const html = mail.html as string;
    const to = (Array.isArray(mail.to) ? mail.to[0] : mail.to)!.value[0]!.address!;
    out.set(to, {
      pixel: /src="https:\/\/t\.relay\.example(\/o\/[A-Za-z0-9_-]+)"/.exec(html)![1]!,
      click: /href="https:\/\/t\.relay\.example(\/c\/[A-Za-z0-9_-]+)"/.exec(html)![1]!,
      id: /^<([^.]+)\./.exec(mail.messageId!)![1]!,
    });
  }
  return out;
}

async function waitForCount(t: TestRelay, type: EventType, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await t.relay.events.read({ type, limit: 1000 })).events.length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} ${type} events`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('tracking counted through the relay: stats, metrics, expiry, restart', () => {
  let t: TestRelay;
  let publicBase = '';
  let adminBase = '';
  const bases = (r: TestRelay): void => {
    publicBase = `http://127.0.0.1:${r.relay.publicHttp!.port}`;
    adminBase = `http://127.0.0.1:${r.relay.admin!.port}`;
  };
  before(async () => {
    t = await startTestRelay(patch);
    bases(t);
  });
  after(async () => {
    await t?.stop();
    if (t) await removeDir(t.dir);
  });

  const fetchAs = (path: string, userAgent: string, forwardedFor?: string): Promise<Response> =>
    fetch(publicBase + path, { redirect: 'manual', headers: { 'user-agent': userAgent, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) } });

  const newsStats = async (): Promise<{ totals: Record<string, number>; rates: Record<string, number | null> }> => {
    const res = await fetch(`${adminBase}/api/stats?account=a&tag=news&interval=1h`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { accounts: { tags: { tag: string; totals: Record<string, number>; rates: Record<string, number | null> }[] }[] };
    return body.accounts[0]!.tags[0]!;
  };

  test('people and machines are counted apart, unique per message and recipient, with rates against delivered', async () => {
    const sent = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: ['ann@example.net', 'bob@example.net'], subject: 'counted', html: HTML, headers: { 'X-Transactional-Tag': 'news' } });
    assert.equal(sent.code, 250, sent.response);
    const urls = await trackedUrls(t, 'counted', 2);
    await waitForCount(t, 'delivered', 2);
    const ann = urls.get('ann@example.net')!;
    const bob = urls.get('bob@example.net')!;
    assert.equal((await fetchAs(ann.pixel, BROWSER)).status, 200);
    assert.equal((await fetchAs(ann.pixel, BROWSER)).status, 200, 'the same person opens again');
    assert.equal((await fetchAs(bob.pixel, BROWSER, '17.58.1.2')).status, 200, "Apple's MPP proxy (built-in range), behind the trusted proxy");
    assert.equal((await fetchAs(ann.click, BROWSER)).status, 302);
    assert.equal((await fetchAs(bob.click, BROWSER, '203.0.113.9')).status, 302, 'a scanner in an operator range');
    assert.equal((await fetchAs('/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', BROWSER)).status, 404);
    await waitForCount(t, 'opened', 3);
    await waitForCount(t, 'clicked', 2);

    const opened = (await t.relay.events.read({ type: 'opened' })).events;
    assert.deepEqual(opened.map((e) => [e.recipient, e.client, e.machine]).sort(), [
      ['ann@example.net', '127.0.0.1', false],
      ['ann@example.net', '127.0.0.1', false],
      ['bob@example.net', '17.58.1.2', true],
    ]);

    const news = await newsStats();
    const pick = (k: string[]): number[] => k.map((x) => news.totals[x]!);
    assert.deepEqual(pick(['delivered', 'opened', 'openedMachine', 'openedUniqueHuman', 'openedUniqueMachine']), [2, 3, 1, 1, 1]);
    assert.deepEqual(pick(['clicked', 'clickedMachine', 'clickedUniqueHuman', 'clickedUniqueMachine']), [2, 1, 1, 1]);
    assert.deepEqual([news.rates['opened'], news.rates['clicked']], [0.5, 0.5]);
  });

  test('/metrics counts opens and clicks by machine and times the tracking routes', async () => {
    const res = await fetch(`${adminBase}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    const value = (series: string): number => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? NaN);
    assert.equal(value('txrelay_tracking_opens_total{machine="false"}'), 2);
    assert.equal(value('txrelay_tracking_opens_total{machine="true"}'), 1);
    assert.equal(value('txrelay_tracking_clicks_total{machine="false"}'), 1);
    assert.equal(value('txrelay_tracking_clicks_total{machine="true"}'), 1);
    assert.equal(value('txrelay_tracking_request_duration_seconds_count{endpoint="open",code="200"}'), 3);
    assert.equal(value('txrelay_tracking_request_duration_seconds_count{endpoint="click",code="302"}'), 2);
    assert.equal(value('txrelay_tracking_request_duration_seconds_count{endpoint="click",code="404"}'), 1);
    assert.equal(value('txrelay_tracking_request_duration_seconds_bucket{endpoint="open",code="200",le="+Inf"}'), 3);
  });

  test('a link whose record has outlived publicHttp.tracking.recordDays is 404', async () => {
    assert.equal((await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'cat@example.net', subject: 'old', html: HTML })).code, 250);
    const cat = (await trackedUrls(t, 'old', 1)).get('cat@example.net')!;
    // As if accepted 181 days ago (the default keeps 180): the route checks the record's acceptedAt.
    const file = join(t.dir, 'tracking', `${cat.id}.json`);
    const record = JSON.parse(await readFile(file, 'utf8')) as { acceptedAt: number };
    record.acceptedAt -= 181 * 86_400_000;
    await writeFile(file, JSON.stringify(record));
    assert.equal((await fetchAs(cat.click, BROWSER)).status, 404);
    assert.equal((await fetchAs(cat.pixel, BROWSER)).status, 404);
  });

  test('after a restart, the stats rebuilt from the event log carry the same counts', async () => {
    const before = await newsStats();
    await t.stop();
    t = await startTestRelay(patch, t.dir);
    bases(t);
    assert.deepEqual(await newsStats(), before);
  });
});
