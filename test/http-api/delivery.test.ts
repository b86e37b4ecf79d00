// Messages sent over HTTP leave through the same spool and scheduler as SMTP's: an smtp route to a real upstream
// (smtp-server), events accepted then delivered, the suppression list; and a batch of 500 with results in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_B, removeDir, startUpstream, until, type TestUpstream } from '../relay/relay-harness.js';
import { message, post, startApiRelay, type ApiRelay } from './http-api-harness.js';


describe('HTTP send API: delivery through a real upstream', () => {
  let up: TestUpstream;
  let t: ApiRelay;
  before(async () => {
    up = await startUpstream();
    t = await startApiRelay((json) => {
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'smtp', host: '127.0.0.1', port: up.port, tls: 'none' };
    });
  });
  after(async () => {
    await t.stop();
    await up.close();
    await removeDir(t.dir);
  });

  test('delivers the composed message upstream with the From address as envelope sender; accepted then delivered events', async () => {
    const r = await post(`${t.url}/v1/send`, message({ from: { email: 'shop@example.com', name: 'Shop' }, to: [{ email: 'ann@example.net', name: 'Ann' }], subject: 'over http', html: '<p>to upstream</p>', tag: 'Receipts' }));
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const got = await until('upstream delivery', () => up.received.find((x) => x.mail.subject === 'over http'));
    assert.deepEqual(got.to, ['ann@example.net']);
    assert.equal(got.from, 'shop@example.com');
    assert.equal(got.mail.html && got.mail.html.trim(), '<p>to upstream</p>');
    assert.equal(got.mail.messageId, `<${r.json.id}.0@relay.test>`);
    assert.equal((got.mail.to as { value: { name: string }[] }).value[0]!.name, 'Ann');
    const types = await until('delivered event', async () => {
      await t.relay.events.flush();
      const mine = (await t.relay.events.read({ account: 'a', id: r.json.id })).events.map((e) => e.type);
      return mine.includes('delivered') ? mine : undefined;
    });
    assert.deepEqual([...types].sort(), ['accepted', 'delivered']);
    const delivered = (await t.relay.events.read({ type: 'delivered', id: r.json.id })).events[0]!;
    assert.equal(delivered.tag, 'receipts');
  });

  test('a hard bounce suppresses the address for later HTTP sends too', async () => {
    const first = await post(`${t.url}/v1/send`, message({ to: [{ email: 'bounce-http@example.net' }], subject: 'bounce over http' }));
    assert.equal(first.status, 202);
    await until('suppression', () => (t.relay.suppression.has('a', 'bounce-http@example.net') ? true : undefined));
    const second = await post(`${t.url}/v1/send`, message({ to: [{ email: 'bounce-http@example.net' }], subject: 'bounce again' }));
    assert.equal(second.status, 202);
    await until('suppressed event', async () => {
      await t.relay.events.flush();
      const page = await t.relay.events.read({ type: 'suppressed', id: second.json.id });
      return page.events.length > 0 ? true : undefined;
    });
  });

  test('a batch of 500 is answered in order, each { id } or { error }, and every accepted one is delivered', async () => {
    const messages = Array.from({ length: 500 }, (_, i) =>
      i % 100 === 7 ? message({ route: 'nowhere', subject: `batch ${i}` }) : message({ to: [{ email: `b${i}@example.net` }], subject: `batch ${i}`, html: `<p>message {{ n }}</p>`, variables: { n: i } }),
    );
    messages[250] = { ...message(), to: [{ email: 'not an address' }] };
    const r = await post(`${t.url}/v1/send/batch`, { messages });
    assert.equal(r.status, 200, JSON.stringify(r.json).slice(0, 500));
    const results = r.json.results as ({ id: string; recipients: number } | { error: { code: number; enhanced: string; message: string; status: number; field?: string } })[];
    assert.equal(results.length, 500);
    const refused = results.flatMap((x, i) => ('error' in x ? [i] : []));
    assert.deepEqual(refused, [7, 107, 207, 250, 307, 407]);
    const routeError = results[7] as { error: { code: number; enhanced: string; status: number } };
    assert.deepEqual([routeError.error.code, routeError.error.enhanced, routeError.error.status], [550, '5.7.1', 422]);
    const fieldError = results[250] as { error: { field: string; status: number } };
    assert.deepEqual([fieldError.error.field, fieldError.error.status], ['messages[250].to[0].email', 400]);
    const ids = results.flatMap((x) => ('id' in x ? [x.id] : []));
    assert.equal(new Set(ids).size, 494, 'a queue id each');
    const got = await until('494 batch messages upstream', () => {
      const batch = up.received.filter((x) => x.mail.subject?.startsWith('batch '));
      return batch.length >= 494 ? batch : undefined;
    }, 60_000);
    const byRecipient = new Map(got.map((x) => [x.to[0]!, x.mail]));
    assert.equal(String(byRecipient.get('b499@example.net')?.html).trim(), '<p>message 499</p>');
    assert.equal(byRecipient.has('b7@example.net'), false);
    const first = results[0] as { id: string };
    assert.equal(byRecipient.get('b0@example.net')?.messageId, `<${first.id}.0@relay.test>`, 'results are in request order');
  });

  test('a batch with more than 500 messages, or none, or not a list, is 400 naming "messages"', async () => {
    const over = await post(`${t.url}/v1/send/batch`, { messages: Array.from({ length: 501 }, () => message()) });
    assert.equal(over.status, 400);
    assert.equal(over.json.error.field, 'messages');
    assert.match(over.json.error.message, /at most 500/);
    assert.equal((await post(`${t.url}/v1/send/batch`, { messages: [] })).status, 400);
    assert.equal((await post(`${t.url}/v1/send/batch`, { messages: {} })).json.error.field, 'messages');
    assert.equal((await post(`${t.url}/v1/send/batch`, { messages: [message()], extra: 1 })).json.error.field, 'extra');
  });

  test('a batch is judged per account: another account\'s key sends as that account', async () => {
    const r = await post(`${t.url}/v1/send/batch`, { messages: [message({ subject: 'batch as b' })] }, { key: KEY_B });
    assert.equal(r.status, 200);
    assert.ok('id' in r.json.results[0], JSON.stringify(r.json));
    const accepted = (await t.relay.events.read({ type: 'accepted', id: r.json.results[0].id })).events[0];
    assert.equal(accepted?.account, 'b');
  });
});
