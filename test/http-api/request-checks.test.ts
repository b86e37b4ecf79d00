// What the HTTP layer itself refuses, before or beside the accept path: unknown paths and methods, media types,
// sizes, JSON syntax and shape. Every answer is JSON naming the field and the reason; nothing is queued.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { KEY_A, rawOutbox, waitForSubject } from '../relay/relay-harness.js';
import { apiRelayPerSuite, message, post, type ApiRelay } from './http-api-harness.js';

describe('HTTP send API: request checks', () => {
  let t: ApiRelay;
  let send: string;
  apiRelayPerSuite(
    (r) => {
      t = r;
      send = `${r.url}/v1/send`;
    },
    (json) => {
      json['limits'] = { maxMessageSize: 20_000, maxHtmlBytes: 1000, maxHeaderBytes: 2000 };
    },
  );

  test('an unknown path is 404 and names the endpoints; the query string is ignored', async () => {
    const r = await post(`${t.url}/v2/send`, message());
    assert.equal(r.status, 404);
    assert.match(r.json.error.message, /POST \/v1\/send/);
    assert.equal((await post(`${send}?x=1`, message({ subject: 'query ignored' }))).status, 202);
  });

  test('another method is 405 with Allow: POST', async () => {
    const r = await fetch(send, { headers: { authorization: `Bearer ${KEY_A}` } });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'POST');
    const json = (await r.json()) as { error: { message: string } };
    assert.match(json.error.message, /GET is not allowed/);
  });

  test('a body that is not application/json in UTF-8 is 415 naming Content-Type', async () => {
    const form = await post(send, 'a=b', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    assert.equal(form.json.error.field, 'Content-Type');
    assert.equal(form.json.error.enhanced, '5.6.1');
    const latin1 = await post(send, message(), { headers: { 'content-type': 'application/json; charset=iso-8859-1' } });
    assert.equal(latin1.status, 415);
    const utf8 = await post(send, message({ subject: 'charset ok' }), { headers: { 'content-type': 'application/json; charset=UTF-8' } });
    assert.equal(utf8.status, 202);
  });

  test('a body past limits.maxMessageSize is 413 with 552 5.3.4, declared or streamed', async () => {
    const big = await post(send, message({ html: 'x'.repeat(30_000) }));
    assert.equal(big.status, 413);
    assert.deepEqual([big.json.error.code, big.json.error.enhanced, big.json.error.field], [552, '5.3.4', 'body']);
    // Chunked, with no Content-Length: refused while it streams.
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(send);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      for (let i = 0; i < 30; i++) req.write('x'.repeat(1000));
      req.end();
    });
    assert.equal(status, 413);
  });

  test('html past limits.maxHtmlBytes is 413 with the reply SMTP gives for a too big HTML part', async () => {
    const r = await post(send, message({ html: `<p>${'y'.repeat(1200)}</p>` }));
    assert.equal(r.status, 413);
    assert.match(`${r.json.error.code} ${r.json.error.enhanced} ${r.json.error.message}`, /^552 5\.3\.4 Message too big: html exceeds maxHtmlBytes/);
  });

  test('invalid JSON, invalid UTF-8 and an empty body are 400 naming "body" with the reason', async () => {
    const bad = await post(send, '{"from": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'body');
    assert.match(bad.json.error.message, /^body: is not valid JSON: .*position \d+/);
    const res = await fetch(send, { method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0xff, 0x7d]) });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /UTF-8/);
    assert.equal((await post(send, '')).status, 400);
    const deep = await post(send, '['.repeat(300) + ']'.repeat(300));
    assert.equal(deep.status, 400);
    assert.match(deep.json.error.message, /nesting deeper/);
  });

  test('fields of the wrong type, unknown fields and bad addresses are 400 naming the field', async () => {
    const cases: [unknown, string, RegExp][] = [
      [[1], 'body', /must be a JSON object, got an array/],
      [message({ subject: 42 }), 'subject', /must be a string, got a number/],
      [message({ subject: 1.0 }), 'subject', /must be a string, got a number/],
      [message({ cc: ['x@example.net'] }), 'cc', /unknown field/],
      [message({ to: undefined }), 'to', /is required/],
      [message({ to: [] }), 'to', /at least one/],
      [message({ to: 'x@example.net' }), 'to', /must be an array/],
      [message({ to: [{ name: 'No Address' }] }), 'to[0].email', /is required/],
      [message({ to: [{ email: 'x@example.net' }, { email: 'not an address' }] }), 'to[1].email', /bad recipient address syntax/],
      [message({ to: [{ email: 'x@example.net', bcc: true }] }), 'to[0].bcc', /unknown field/],
      [message({ to: [{ email: 'x@example.net', name: 7 }] }), 'to[0].name', /must be a string/],
      [message({ subject: 'a\r\nBcc: victim@example.org' }), 'subject', /line breaks/],
      [message({ to: [{ email: 'x@example.net', name: 'A\nB' }] }), 'to[0].name', /line breaks/],
      [message({ from: { email: 'shop@example.com\r\nBcc: v@example.org' } }), 'from.email', /line breaks/],
      [message({ from: 12 }), 'from', /must be an object/],
    ];
    for (const [body, field, reason] of cases) {
      const r = await post(send, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.field, field, JSON.stringify(r.json));
      assert.match(r.json.error.message, reason);
      assert.ok(r.json.error.message.startsWith(`${field}: `), 'the message names the field');
    }
    const bad = await post(send, message({ to: [{ email: 'x y@example.net' }] }));
    assert.deepEqual([bad.json.error.code, bad.json.error.enhanced], [501, '5.1.3'], 'the RCPT TO reply for a bad address');
  });

  test('header fields past limits.maxHeaderBytes are 413 with 552 5.3.4', async () => {
    const r = await post(send, message({ subject: 's'.repeat(2500) }));
    assert.equal(r.status, 413);
    assert.match(r.json.error.message, /maxHeaderBytes/);
  });

  test('to entries may be bare addresses; from may be a header-style string', async () => {
    const r = await post(send, message({ to: ['bare@example.net'], from: '"Shop, Inc." <shop@example.com>', subject: 'bare to' }));
    assert.equal(r.status, 202, JSON.stringify(r.json));
  });

  test('a malformed Idempotency-Key is 400 naming it', async () => {
    const r = await post(send, message(), { headers: { 'idempotency-key': 'has space' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.field, 'Idempotency-Key');
  });

  test('nothing refused above reached the outbox', async () => {
    await waitForSubject(t.outbox('out-main'), 'bare to');
    const names = await rawOutbox(t.outbox('out-main'));
    assert.equal(names.length, 3, names.join(', ')); // query ignored, charset ok, bare to
  });
});

describe('HTTP send API: requests in progress are bounded', () => {
  let t: ApiRelay;
  apiRelayPerSuite((r) => (t = r));

  /** Probes without a key: 401 when admitted, 503 when every slot is taken. */
  async function probeUntil(status: number): Promise<{ status: number; retryAfter: string | null }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await post(`${t.url}/v1/send`, message(), { key: null });
      if (r.status === status) return { status: r.status, retryAfter: r.headers.get('retry-after') };
      if (Date.now() > deadline) throw new Error(`no ${status} within 10 s (last ${r.status})`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  test('past 64 requests at once the next is 503 with Retry-After; slots come back when clients go away', async () => {
    const port = Number(new URL(t.url).port);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 64; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
        // Headers and part of the body: the request holds its slot while the rest does not come.
        s.write(`POST /v1/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"from":`);
        sockets.push(s);
      }
      const busy = await probeUntil(503);
      assert.equal(busy.retryAfter, '1');
    } finally {
      for (const s of sockets) s.destroy();
    }
    assert.equal((await probeUntil(401)).status, 401);
  });
});
