// The relay delivering through an `smtp` route to a real upstream (smtp-server), with events and suppression.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, sendWithNodemailer, startTestRelay, startUpstream, until, type TestRelay, type TestUpstream } from './relay-harness.js';


describe('relay delivery through an smtp route', () => {
  let up: TestUpstream;
  let t: TestRelay;
  before(async () => {
    up = await startUpstream();
    t = await startTestRelay((json) => {
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'smtp', host: '127.0.0.1', port: up.port, tls: 'none' };
    });
  });
  after(async () => {
    await t.stop();
    await up.close();
    await removeDir(t.dir);
  });

  test('delivers the composed HTML message upstream and records accepted then delivered events', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'Shop <shop@example.com>', to: 'Ann <ann@example.net>', subject: 'upstream', html: '<p>to upstream</p>', headers: { 'X-Transactional-Tag': 'Receipts' } });
    assert.equal(r.code, 250, r.response);
    const id = /queued as (\S+)/.exec(r.response)![1]!;
    const got = await until('upstream delivery', () => up.received.find((x) => x.mail.subject === 'upstream'));
    assert.deepEqual(got.to, ['ann@example.net']);
    assert.equal(got.mail.html && got.mail.html.trim(), '<p>to upstream</p>');
    assert.equal(got.mail.messageId, `<${id}.0@relay.test>`);
    const types = await until('delivered event', async () => {
      await t.relay.events.flush();
      const page = await t.relay.events.read({ account: 'a' });
      const mine = page.events.filter((e) => e.id === id).map((e) => e.type);
      return mine.includes('delivered') ? mine : undefined;
    });
    assert.deepEqual([...types].sort(), ['accepted', 'delivered']);
    const delivered = (await t.relay.events.read({ type: 'delivered' })).events.find((e) => e.id === id)!;
    assert.equal(delivered.tag, 'receipts');
    assert.equal(delivered.route, 'main');
  });

  test('a 5xx hard bounce fails the recipient, suppresses the address, and a later send is suppressed, not attempted', async () => {
    const first = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'bounce-me@example.net', subject: 'bounce 1', html: '<p>x</p>' });
    assert.equal(first.code, 250, first.response);
    await until('suppression', () => (t.relay.suppression.has('a', 'bounce-me@example.net') ? true : undefined));
    const failed = (await t.relay.events.read({ type: 'failed', recipient: 'bounce-me@example.net' })).events;
    assert.match(failed[0]!.reply ?? '', /^550/);

    const second = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'bounce-me@example.net', subject: 'bounce 2', html: '<p>x</p>' });
    assert.equal(second.code, 250, second.response);
    const id = /queued as (\S+)/.exec(second.response)![1]!;
    await until('suppressed event', async () => {
      await t.relay.events.flush();
      return (await t.relay.events.read({ type: 'suppressed' })).events.find((e) => e.id === id);
    });
    assert.equal(up.received.some((x) => x.mail.subject === 'bounce 2'), false);
  });

  test('the accepted event lists the dropped parts by type, file name and size', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: 'shop@example.com',
      to: 'dropped@example.net',
      subject: 'dropped parts',
      text: 'plain',
      html: '<p>html</p>',
      attachments: [{ filename: 'invoice.pdf', content: Buffer.alloc(3000, 7), contentType: 'application/pdf' }],
    });
    assert.equal(r.code, 250, r.response);
    await t.relay.events.flush();
    const accepted = (await t.relay.events.read({ type: 'accepted', recipient: 'dropped@example.net' })).events[0]!;
    const dropped = accepted.dropped ?? [];
    assert.deepEqual(dropped.map((d) => d.type), ['text/plain', 'application/pdf']);
    assert.equal(dropped[1]!.filename, 'invoice.pdf');
    assert.ok(dropped[1]!.size >= 4000, 'raw (base64) size of the attachment');
  });

  test('a message refused at SMTP is recorded as rejected with the reply we gave', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'plain@example.net', subject: 's', text: 'text only' });
    assert.equal(r.code, 554);
    await t.relay.events.flush();
    const rejected = (await t.relay.events.read({ type: 'rejected', recipient: 'plain@example.net' })).events;
    assert.equal(rejected.length, 1);
    assert.match(rejected[0]!.reply ?? '', /^554 5\.6\.0/);
    assert.equal(rejected[0]!.account, 'a');
  });
});
