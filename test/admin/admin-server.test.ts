import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { csvCell } from '../../src/relay/admin/csv.js';
import type { RelayEvent } from '../../src/relay/storage/event-log.js';
import { TOKEN, startAdminFixture, type AdminFixture } from './fixture.js';

const MIN = 60_000;
const auth = { authorization: `Bearer ${TOKEN}` };

interface ErrorBody {
  error: string;
  parameter: string | null;
  reason: string;
}

/** RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  assert.equal(cell, '', 'CSV ends with CRLF');
  return rows;
}

/** A raw request for what fetch will not send (bodies without Content-Length, odd methods). */
function rawRequest(base: string, o: { method: string; path: string; headers?: Record<string, string>; body?: Buffer; chunked?: boolean }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(o.path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: o.method, path: url.pathname + url.search, headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (o.body && o.chunked) {
      // Several writes without Content-Length: the server must count while it streams.
      for (let i = 0; i < o.body.length; i += 8192) req.write(o.body.subarray(i, i + 8192));
      req.end();
    } else req.end(o.body);
  });
}

describe('AdminServer over HTTP', () => {
  let f: AdminFixture;
  const events: RelayEvent[] = [];

  before(async () => {
    f = await startAdminFixture();
    const at = (minutesAgo: number): number => f.now - minutesAgo * MIN;
    events.push(
      { type: 'accepted', time: at(50), id: 'a1', account: 'acme', tag: 'welcome', route: 'main', recipient: 'ann@example.com', reply: '250 2.0.0 Ok: queued as a1' },
      { type: 'delivered', time: at(49), id: 'a1', account: 'acme', tag: 'welcome', route: 'main', recipient: 'ann@example.com', reply: '250 ok', attempt: 1, latencyMs: 12 },
      { type: 'accepted', time: at(40), id: 'a2', account: 'acme', tag: 'reset', route: 'main', recipient: 'bob@example.org' },
      { type: 'failed', time: at(39), id: 'a2', account: 'acme', tag: 'reset', route: 'main', recipient: 'bob@example.org', reply: '550 5.1.1 "bob" unknown, sorry', attempt: 1, latencyMs: 30 },
      { type: 'accepted', time: at(30), id: 'a3', account: 'acme', tag: 'welcome', route: 'main', recipient: '=HYPERLINK("http://evil")@example.com' },
      { type: 'deferred', time: at(29), id: 'a3', account: 'acme', tag: 'welcome', route: 'main', recipient: '=HYPERLINK("http://evil")@example.com', reply: '+SUM(A1:A9)', attempt: 1 },
      { type: 'deferred', time: at(20), id: 'a3', account: 'acme', tag: 'welcome', route: 'main', recipient: '=HYPERLINK("http://evil")@example.com', reply: '@cmd', attempt: 2 },
      { type: 'accepted', time: at(10), id: 'b1', account: 'beta', tag: 'welcome', route: 'out', recipient: 'cy@beta.test' },
    );
    await f.feed(events);
  });
  after(async () => {
    await f.close();
  });

  async function getJson<T>(path: string, headers: Record<string, string> = auth): Promise<{ status: number; body: T; res: Response }> {
    const res = await fetch(f.base + path, { headers });
    return { status: res.status, body: (await res.json()) as T, res };
  }

  async function expectError(path: string, status: number, parameter: string | null, init: RequestInit = { headers: auth }): Promise<ErrorBody> {
    const res = await fetch(f.base + path, init);
    assert.equal(res.status, status, `${init.method ?? 'GET'} ${path} answers ${status}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.parameter, parameter);
    assert.equal(typeof body.error, 'string');
    assert.equal(typeof body.reason, 'string');
    assert.doesNotMatch(JSON.stringify(body), /\bat .*\.js:\d+/, 'no stack trace');
    return body;
  }

  it('answers /healthz with 200 "ok" without a token, and HEAD without a body', async () => {
    const res = await fetch(f.base + '/healthz');
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), 'ok');
    const head = await fetch(f.base + '/healthz', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('answers /readyz 200 when the relay is ready and 503 with the reason when it is not', async () => {
    assert.equal((await fetch(f.base + '/readyz', { headers: auth })).status, 200);
    f.readiness.current = () => ({ ready: false, reason: 'spool folder /x is not writable: EROFS' });
    try {
      const body = await expectError('/readyz', 503, null);
      assert.equal(body.reason, 'spool folder /x is not writable: EROFS');
    } finally {
      f.readiness.current = () => ({ ready: true });
    }
  });

  it('answers 500 with a JSON reason and no stack trace when a callback throws', async () => {
    f.readiness.current = () => {
      throw new Error('boom at secret place');
    };
    try {
      const body = await expectError('/readyz', 500, null);
      assert.doesNotMatch(body.reason, /boom/);
    } finally {
      f.readiness.current = () => ({ ready: true });
    }
  });

  it('refuses every API path without the token or with a wrong one: 401 and WWW-Authenticate: Bearer', async () => {
    for (const path of ['/metrics', '/readyz', '/api/stats', '/api/events', '/api/suppressions?account=acme', '/api/accounts']) {
      const none = await fetch(f.base + path);
      assert.equal(none.status, 401, path);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
      await none.arrayBuffer();
      const wrong = await fetch(f.base + path, { headers: { authorization: `Bearer ${TOKEN}x` } });
      assert.equal(wrong.status, 401, path);
      assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      await wrong.arrayBuffer();
    }
    await expectError('/api/stats', 401, null, { headers: { authorization: `Basic ${Buffer.from('a:' + TOKEN).toString('base64')}` } });
  });

  it('answers 404 for an unknown path and 405 with Allow for a method a path does not take', async () => {
    await expectError('/nope', 404, null);
    await expectError('/api/stats/extra', 404, null);
    const body = await expectError('/api/stats', 405, null, { method: 'POST', headers: auth });
    assert.match(body.reason, /POST/);
    const res = await fetch(f.base + '/api/suppressions?account=acme', { method: 'PUT', headers: auth });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST, DELETE, HEAD');
  });

  it('serves Prometheus text on /metrics with the recipient counts of the fed events', async () => {
    const res = await fetch(f.base + '/metrics', { headers: auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    assert.match(text, /^txrelay_recipients_total\{outcome="accepted"\} 4$/m);
    assert.match(text, /^txrelay_recipients_total\{outcome="deferred"\} 2$/m);
    assert.match(text, /^# TYPE txrelay_delivery_duration_seconds histogram$/m);
  });

  it('lists the configured accounts on /api/accounts', async () => {
    const { body } = await getJson<{ accounts: string[] }>('/api/accounts');
    assert.deepEqual(body.accounts, ['acme', 'beta']);
  });

  it('answers /api/stats with per-tag counts and a series over the range', async () => {
    const from = new Date(f.now - 60 * MIN).toISOString();
    const to = new Date(f.now).toISOString();
    const { status, body } = await getJson<{
      interval: string;
      accounts: { account: string; totals: Record<string, number>; series: unknown[]; tags: { tag: string; totals: Record<string, number> }[] }[];
    }>(`/api/stats?account=acme&from=${from}&to=${to}&interval=15m`);
    assert.equal(status, 200);
    assert.equal(body.interval, '15m');
    assert.equal(body.accounts.length, 1);
    const acme = body.accounts[0]!;
    assert.deepEqual(acme.totals, { accepted: 3, delivered: 1, deferred: 2, failed: 1, rejected: 0, suppressed: 0, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 });
    assert.equal(acme.series.length, 4);
    assert.deepEqual(
      acme.tags.map((t) => [t.tag, t.totals.accepted, t.totals.failed]),
      [
        ['welcome', 2, 0],
        ['reset', 1, 1],
      ],
    );
    const all = await getJson<{ accounts: { account: string }[] }>(`/api/stats?from=${f.now - 60 * MIN}`);
    assert.deepEqual(
      all.body.accounts.map((a) => a.account),
      ['acme', 'beta'],
    );
    const byTag = await getJson<{ accounts: { tags: { tag: string; domains: { domain: string }[] }[] }[] }>(`/api/stats?account=acme&tag=reset&from=${from}`);
    assert.deepEqual(byTag.body.accounts[0]!.tags[0]!.domains.map((d) => d.domain), ['example.org']);
  });

  it('refuses malformed stats queries with 400 naming the parameter, and an unknown account with 404', async () => {
    await expectError('/api/stats?from=yesterday', 400, 'from');
    await expectError('/api/stats?to=2026-13-45T99:00:00Z', 400, 'to');
    await expectError('/api/stats?interval=7x', 400, 'interval');
    await expectError('/api/stats?interval=0m', 400, 'interval');
    await expectError(`/api/stats?from=${f.now - 31 * 24 * 60 * MIN}&interval=1m`, 400, 'interval');
    await expectError(`/api/stats?from=${f.now}&to=${f.now - MIN}`, 400, 'to');
    await expectError('/api/stats?tag=Not%20A%20Tag', 400, 'tag');
    await expectError('/api/stats?bogus=1', 400, 'bogus');
    await expectError('/api/stats?account=acme&account=beta', 400, 'account');
    await expectError('/api/stats?account=nobody', 404, 'account');
  });

  it('pages /api/events newest first with a cursor until every matching event is seen', async () => {
    const seen: { id?: string; type: string; time: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    type Page = { events: { id?: string; type: string; time: string }[]; next: string | null };
    do {
      const path = `/api/events?account=acme&limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const body: Page = (await getJson<Page>(path)).body;
      seen.push(...body.events);
      cursor = body.next;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.equal(seen.length, 7);
    assert.equal(pages, 3);
    const times = seen.map((e) => Date.parse(e.time));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
  });

  it('filters /api/events by type (one or several), tag and recipient', async () => {
    type Page = { events: { type: string; tag?: string; recipient?: string }[] };
    const failed = (await getJson<Page>('/api/events?account=acme&type=failed')).body.events;
    assert.deepEqual(
      failed.map((e) => e.recipient),
      ['bob@example.org'],
    );
    const problems = (await getJson<Page>('/api/events?type=failed,deferred')).body.events;
    assert.deepEqual(
      problems.map((e) => e.type),
      ['deferred', 'deferred', 'failed'],
    );
    const welcome = (await getJson<Page>('/api/events?tag=welcome')).body.events;
    assert.equal(welcome.length, 6);
    const ann = (await getJson<Page>('/api/events?recipient=ANN@example.com')).body.events;
    assert.deepEqual(
      ann.map((e) => e.type),
      ['delivered', 'accepted'],
    );
  });

  it('refuses malformed event queries with 400 naming the parameter', async () => {
    await expectError('/api/events?type=exploded', 400, 'type');
    await expectError('/api/events?limit=0', 400, 'limit');
    await expectError('/api/events?limit=1001', 400, 'limit');
    await expectError('/api/events?limit=ten', 400, 'limit');
    await expectError('/api/events?cursor=99999999999999', 400, 'cursor');
    await expectError('/api/events?recipient=not-an-address', 400, 'recipient');
    await expectError('/api/events?format=xml', 400, 'format');
    await expectError('/api/events?account=nobody', 404, 'account');
  });

  it('exports events as RFC 4180 CSV with formula-looking cells prefixed by an apostrophe', async () => {
    const res = await fetch(f.base + '/api/events?account=acme&format=csv', { headers: auth });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="txrelay-events-acme-[^"]+\.csv"$/);
    const text = await res.text();
    const rows = parseCsv(text);
    assert.deepEqual(rows[0], ['time', 'type', 'id', 'account', 'tag', 'route', 'recipient', 'reply', 'attempt', 'latencyMs', 'dropped', 'destination']);
    assert.equal(rows.length, 8);
    for (const row of rows) assert.equal(row.length, 12);
    const failed = rows.find((r) => r[1] === 'failed')!;
    assert.equal(failed[7], '550 5.1.1 "bob" unknown, sorry', 'quotes and commas survive quoting');
    const deferred = rows.filter((r) => r[1] === 'deferred');
    assert.deepEqual(
      deferred.map((r) => r[7]),
      ["'@cmd", "'+SUM(A1:A9)"],
    );
    assert.equal(deferred[0]![6], `'=HYPERLINK("http://evil")@example.com`);
    for (const row of rows) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@]/, 'no cell starts a formula');
    assert.equal(csvCell('-1+2'), "'-1+2");
    assert.equal(csvCell(-3), '-3', 'numbers are not prefixed');

    const limited = await fetch(f.base + '/api/events?account=acme&format=csv&limit=2', { headers: auth });
    assert.equal(parseCsv(await limited.text()).length, 3);
    assert.notEqual(limited.headers.get('x-next-cursor'), null, 'a truncated export says where to go on');
  });

  it('adds, lists and removes suppressions, durably', async () => {
    const url = f.base + '/api/suppressions?account=acme';
    const post = (body: unknown): Promise<Response> => fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const added = await post({ address: 'Bounce@Example.com', reason: 'manual block' });
    assert.equal(added.status, 201);
    assert.equal(((await added.json()) as { added: boolean }).added, true);
    const again = await post({ address: 'Bounce@example.COM' });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { added: boolean }).added, false);
    const { body } = await getJson<{ suppressions: { address: string; reason: string; time: string }[] }>('/api/suppressions?account=acme');
    assert.deepEqual(
      body.suppressions.map((s) => [s.address, s.reason]),
      [['Bounce@Example.com', 'manual block']],
    );
    assert.equal(f.suppressions.has('acme', 'Bounce@EXAMPLE.com'), true);
    const del = await fetch(f.base + '/api/suppressions?account=acme&address=Bounce%40example.com', { method: 'DELETE', headers: auth });
    assert.equal(del.status, 200);
    assert.equal(f.suppressions.has('acme', 'Bounce@example.com'), false);
    await expectError('/api/suppressions?account=acme&address=Bounce%40example.com', 404, 'address', { method: 'DELETE', headers: auth });
  });

  it('refuses bad suppression requests: 400 naming the parameter, 404 for an unknown account, 413 past 64 KiB', async () => {
    const post = (body: string, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { ...auth, 'content-type': 'application/json', ...headers }, body });
    await expectError('/api/suppressions', 400, 'account');
    await expectError('/api/suppressions?account=nobody', 404, 'account');
    await expectError('/api/suppressions?account=acme', 400, 'address', post(JSON.stringify({ address: 'no at sign' })));
    await expectError('/api/suppressions?account=acme', 400, 'reason', post(JSON.stringify({ address: 'a@b.c', reason: 'two\nlines' })));
    await expectError('/api/suppressions?account=acme', 400, 'color', post(JSON.stringify({ address: 'a@b.c', color: 'red' })));
    await expectError('/api/suppressions?account=acme', 400, 'body', post('{"address": '));
    await expectError('/api/suppressions?account=acme', 400, 'body', post('["a@b.c"]'));
    await expectError('/api/suppressions?account=acme', 415, 'body', post('address=a@b.c', { 'content-type': 'application/x-www-form-urlencoded' }));
    await expectError('/api/suppressions?account=acme', 400, 'address', { method: 'DELETE', headers: auth });

    const big = Buffer.from(JSON.stringify({ address: 'a@b.c', reason: 'x'.repeat(70 * 1024) }));
    await expectError('/api/suppressions?account=acme', 413, 'body', post(big.toString()));
    const streamed = await rawRequest(f.base, { method: 'POST', path: '/api/suppressions?account=acme', headers: { ...auth, 'content-type': 'application/json' }, body: big, chunked: true });
    assert.equal(streamed.status, 413);
    assert.equal((JSON.parse(streamed.body) as ErrorBody).parameter, 'body');
    assert.deepEqual(f.suppressions.list('acme'), [], 'nothing was added');
  });

  it('serves the dashboard HTML at / without a token, under a strict Content-Security-Policy', async () => {
    const res = await fetch(f.base + '/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await res.text();
    assert.match(html, /<title>txrelay dashboard<\/title>/);
    assert.doesNotMatch(html, new RegExp(TOKEN), 'the page carries no secret');
    assert.doesNotMatch(html, /(src|href)="https?:/, 'no external resources');
  });
});
