// Suppressions through the management API against a real relay: add (and the relay stops delivering to the
// address), remove by URL-encoded address, page with a cursor, export CSV and import it back unchanged, and an
// import with bad lines refused whole with every error's line number.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sendWithNodemailer } from '../relay/relay-harness.js';
import { assertRefused, call, startManagementRelay, type ManagementRelay } from './management-fixture.js';

describe('management API: suppressions', () => {
  let m: ManagementRelay;

  before(async () => {
    m = await startManagementRelay();
  });
  after(async () => {
    await m?.close();
  });

  it('adds an address the relay then suppresses, and removes it by its URL-encoded address', async () => {
    const added = await call(m.base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'Blocked@Dest.test', reason: 'asked by phone' } });
    assert.equal(added.status, 201, added.text);
    assert.equal(added.body!['added'], true);
    assert.equal((added.body!['suppression'] as Record<string, unknown>)['address'], 'Blocked@Dest.test');
    const again = await call(m.base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'Blocked@dest.TEST' } });
    assert.equal(again.status, 200, 'the domain compares case-insensitively');
    assert.equal(again.body!['added'], false);

    const sent = await sendWithNodemailer(m.t.port, { from: 'app@sender.test', to: 'Blocked@dest.test', subject: 'to a suppressed address', html: '<p/>' });
    assert.equal(sent.code, 250, sent.response);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const page = await m.t.relay.events.read({ type: ['suppressed'] });
      if (page.events.some((e) => e.recipient === 'Blocked@dest.test')) break;
      if (Date.now() > deadline) throw new Error('no suppressed event within 10 s');
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(!m.upstream.received.some((r) => r.to.includes('Blocked@dest.test')), 'nothing delivered');

    // The older route sees the same list.
    const legacy = await call(m.base, 'GET', '/api/suppressions?account=a');
    assert.ok((legacy.body!['suppressions'] as Array<Record<string, unknown>>).some((e) => e['address'] === 'Blocked@Dest.test'));

    assert.equal((await call(m.base, 'DELETE', `/api/accounts/a/suppressions/${encodeURIComponent('Blocked@dest.test')}`)).status, 204);
    assertRefused(await call(m.base, 'DELETE', `/api/accounts/a/suppressions/${encodeURIComponent('Blocked@dest.test')}`), 404, 'address', /Blocked@dest.test/);
  });

  it('keeps tag-scoped entries apart from account-wide ones', async () => {
    assert.equal((await call(m.base, 'POST', '/api/accounts/b/suppressions', { body: { address: 'u@x.test', tag: 'news', reason: 'unsubscribed from news' } })).status, 201);
    assertRefused(await call(m.base, 'DELETE', '/api/accounts/b/suppressions/u%40x.test'), 404, 'address');
    assert.equal((await call(m.base, 'DELETE', '/api/accounts/b/suppressions/u%40x.test?tag=news')).status, 204);
  });

  it('pages by address with a cursor, and exports CSV that imports back unchanged', async () => {
    const addresses = ['e@p.test', 'a@p.test', 'd@p.test', 'c@p.test', 'b@p.test'];
    for (const [i, address] of addresses.entries()) {
      const r = await call(m.base, 'POST', '/api/accounts/b/suppressions', { body: { address, reason: i === 0 ? '=HYPERLINK("x"), with "quotes"' : `reason ${i}` } });
      assert.equal(r.status, 201, r.text);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await call(m.base, 'GET', `/api/accounts/b/suppressions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, page.text);
      seen.push(...(page.body!['suppressions'] as Array<{ address: string }>).map((e) => e.address));
      cursor = page.body!['next'] as string | null;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen, ['a@p.test', 'b@p.test', 'c@p.test', 'd@p.test', 'e@p.test']);
    assert.equal(pages, 3);

    const csv = await call(m.base, 'GET', '/api/accounts/b/suppressions.csv');
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    assert.match(csv.headers.get('content-disposition')!, /attachment; filename="txrelay-suppressions-b-/);
    const lines = csv.text.split('\r\n');
    assert.equal(lines[0], 'address,reason,time,tag');
    assert.equal(lines.length, 7, 'header, 5 rows, and the empty string after the last CRLF');
    assert.match(csv.text, /e@p\.test,"'=HYPERLINK\(""x""\), with ""quotes""",/, 'a formula is defused and quoted');
    const viaQuery = await call(m.base, 'GET', '/api/accounts/b/suppressions?format=csv');
    assert.equal(viaQuery.text, csv.text);

    // Round trip: empty the list, import the export, export again.
    for (const address of addresses) assert.equal((await call(m.base, 'DELETE', `/api/accounts/b/suppressions/${encodeURIComponent(address)}`)).status, 204);
    assert.equal(((await call(m.base, 'GET', '/api/accounts/b/suppressions')).body!['suppressions'] as unknown[]).length, 0);
    const imported = await call(m.base, 'POST', '/api/accounts/b/suppressions/import', { body: csv.text, type: 'text/csv' });
    assert.equal(imported.status, 200, imported.text);
    assert.deepEqual(imported.body, { account: 'b', rows: 5, added: 5, existing: 0 });
    const again = await call(m.base, 'GET', '/api/accounts/b/suppressions.csv');
    assert.equal(again.text, csv.text);
    // Importing it twice adds nothing.
    assert.deepEqual((await call(m.base, 'POST', '/api/accounts/b/suppressions/import', { body: csv.text, type: 'text/csv' })).body, { account: 'b', rows: 5, added: 0, existing: 5 });
  });

  it('imports plain address,reason lines, and refuses a file with bad lines whole, naming each line', async () => {
    const plain = await call(m.base, 'POST', '/api/accounts/a/suppressions/import', { body: 'one@q.test,bounced\nTwo@Q.test\n\n"three@q.test","said, ""stop"""\n', type: 'text/csv; charset=utf-8' });
    assert.equal(plain.status, 200, plain.text);
    assert.deepEqual(plain.body, { account: 'a', rows: 3, added: 3, existing: 0 });
    const list = (await call(m.base, 'GET', '/api/accounts/a/suppressions')).body!['suppressions'] as Array<{ address: string; reason: string }>;
    assert.equal(list.find((e) => e.address === 'three@q.test')?.reason, 'said, "stop"');
    assert.equal(list.find((e) => e.address === 'Two@Q.test')?.reason, 'imported');

    const bad = await call(m.base, 'POST', '/api/accounts/a/suppressions/import', {
      body: 'address,reason\nok@r.test,fine\nnot-an-address,x\nfour@r.test,y,not-a-time\n,empty\n',
      type: 'text/csv',
    });
    assertRefused(bad, 400, 'body', /^line 3: address .*nothing was imported/);
    assert.deepEqual(bad.body!['errors'], [
      { line: 3, parameter: 'address', reason: 'must be an email address (local@domain)' },
      { line: 4, parameter: 'row', reason: 'has 3 cells; expected at most 2 (address, reason)' },
      { line: 5, parameter: 'address', reason: 'is required' },
    ]);
    assert.equal(bad.body!['errorCount'], 3);
    const after = (await call(m.base, 'GET', '/api/accounts/a/suppressions')).body!['suppressions'] as Array<{ address: string }>;
    assert.ok(!after.some((e) => e.address === 'ok@r.test'), 'nothing of a refused file is imported');

    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions/import', { body: 'x@y.test,"open quote\n', type: 'text/csv' }), 400, 'body', /^line 1: body a quoted cell is not closed/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions/import', { body: 'address,colour\nx@y.test,red\n', type: 'text/csv' }), 400, 'body', /unknown column "colour"/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions/import', { body: { address: 'x@y.test' } }), 415, 'body', /text\/csv/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions/import', { body: 'x@y.test,r\n'.repeat(110_000), type: 'text/csv' }), 413, 'body', /1048576/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions/import', { body: 'a@b.test\n'.repeat(10_001), type: 'text/csv' }), 400, 'body', /10000 per import/);
  });

  it('refuses bad requests naming the field or parameter', async () => {
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions', { body: {} }), 400, 'address', /required/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'nope' } }), 400, 'address', /email address/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'x@y.test', reason: 'a\nb' } }), 400, 'reason', /single line/);
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'x@y.test', tag: 'BAD TAG' } }), 400, 'tag');
    assertRefused(await call(m.base, 'POST', '/api/accounts/a/suppressions', { body: { address: 'x@y.test', why: 'x' } }), 400, 'why', /unknown field/);
    assertRefused(await call(m.base, 'DELETE', '/api/accounts/a/suppressions/not-an-address'), 400, 'address', /URL-encoded/);
    assertRefused(await call(m.base, 'DELETE', '/api/accounts/a/suppressions/%E0%A4%A'), 400, 'address', /percent-encoding/);
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/suppressions?limit=0'), 400, 'limit');
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/suppressions?cursor=!!'), 400, 'cursor');
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/suppressions?format=xml'), 400, 'format');
    assertRefused(await call(m.base, 'GET', '/api/accounts/a/suppressions.csv?format=csv'), 400, 'format', /unknown parameter/);
    assertRefused(await call(m.base, 'GET', '/api/accounts/zz/suppressions'), 404, 'id');
  });
});
