import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, code, openTransaction, startServer } from './helpers.js';
import { SmtpError } from '../../src/protocol/reply.js';

test('greets with 220 and the hostname, and EHLO advertises exactly the SPEC extensions without TLS configured', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  assert.equal(await c.reply(), '220 mx.test ESMTP ready\r\n');
  const ehlo = await c.send('EHLO client.test');
  assert.equal(
    ehlo,
    '250-mx.test greets client.test\r\n250-PIPELINING\r\n250-SIZE 31457280\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 CHUNKING\r\n',
  );
  assert.equal(code(await c.send('QUIT')), '221 2.0.0');
  await c.waitClosed();
  await h.stop();
});

test('answers a bad command order with 503 5.5.1', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  assert.equal(code(await c.send('MAIL FROM:<a@b.c>')), '503 5.5.1');
  await c.send('HELO client.test');
  assert.equal(code(await c.send('RCPT TO:<a@b.c>')), '503 5.5.1');
  assert.equal(code(await c.send('DATA')), '503 5.5.1');
  assert.equal(code(await c.send('MAIL FROM:<a@b.c>')), '250 2.1.0');
  assert.equal(code(await c.send('MAIL FROM:<a@b.c>')), '503 5.5.1');
  assert.equal(code(await c.send('DATA')), '503 5.5.1');
  c.close();
  await h.stop();
});

test('delivers a message through the backend with dot-stuffing removed and 250 2.0.0', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  assert.equal(await c.send('DATA'), '354 End data with <CR><LF>.<CR><LF>\r\n');
  c.write('Subject: t\r\n\r\n..hidden dot\r\nbye\r\n.\r\n');
  assert.equal(code(await c.reply()), '250 2.0.0');
  assert.equal(h.backend.messages.length, 1);
  assert.equal(h.backend.messages[0]!.body.toString(), 'Subject: t\r\n\r\n.hidden dot\r\nbye\r\n');
  assert.deepEqual(h.backend.messages[0]!.to, ['bob@example.com']);
  c.close();
  await h.stop();
});

test('replies to a pipelined MAIL/RCPT/RCPT/DATA batch in one write, in order, with an asynchronous backend', async () => {
  for (const async of [false, true]) {
    const h = await startServer({}, { async, refuseRcpt: ['nobody@example.com'] });
    const c = await RawClient.connect(h.port);
    await c.reply();
    await c.send('EHLO client.test');
    const before = c.reads.length;
    c.write('MAIL FROM:<a@example.com>\r\nRCPT TO:<nobody@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n');
    const replies = [await c.reply(), await c.reply(), await c.reply(), await c.reply()].map(code);
    assert.deepEqual(replies, ['250 2.1.0', '550 5.1.1', '250 2.1.5', '354 End d'], `async=${async}`);
    assert.equal(c.reads.length - before, 1, `one TCP read for the whole batch (async=${async})`);
    c.write('x\r\n.\r\nQUIT\r\n');
    assert.equal(code(await c.reply()), '250 2.0.0');
    assert.equal(code(await c.reply()), '221 2.0.0');
    await c.waitClosed();
    await h.stop();
  }
});

test('turns a backend SmtpError into its reply unchanged and any other error into 451 4.3.0', async () => {
  const h = await startServer({}, { endReply: { code: 250, enhanced: '2.0.0', text: 'Ok: queued as ABC' } });
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  await c.send('DATA');
  c.write('x\r\n.\r\n');
  assert.equal(await c.reply(), '250 2.0.0 Ok: queued as ABC\r\n');
  c.close();
  await h.stop();
  const broken = await startServer();
  broken.backend.connect = () => ({
    mail() {
      throw new Error('database on fire');
    },
    rcpt() {},
    data() {
      throw new SmtpError(554, '5.6.0', 'Nope');
    },
    reset() {},
    close() {},
  });
  const d = await RawClient.connect(broken.port);
  await d.reply();
  await d.send('EHLO x');
  const r = await d.send('MAIL FROM:<a@b.c>');
  assert.equal(r, '451 4.3.0 Local error, try again later\r\n');
  assert.ok(broken.logs.some((l) => l.level === 'error'));
  d.close();
  await broken.stop();
});

test('refuses a connection with the SmtpError thrown by backend.connect', async () => {
  const h = await startServer({}, { refuseConnect: new SmtpError(554, '5.7.1', 'Go away') });
  const c = await RawClient.connect(h.port);
  assert.equal(await c.reply(), '554 5.7.1 Go away\r\n');
  await c.waitClosed();
  await h.stop();
});

test('answers a command line over 2048 bytes with 500 5.5.2 and skips the rest of the line', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  c.write('NOOP ' + 'x'.repeat(3000));
  assert.equal(code(await c.reply()), '500 5.5.2');
  c.write('yyyy\r\nNOOP\r\n');
  assert.equal(code(await c.reply()), '250 2.0.0');
  assert.equal(code(await c.send('NOOP ' + 'z'.repeat(2100))), '500 5.5.2');
  c.close();
  await h.stop();
});

test('limits recipients per message to 100 with 452 4.5.3', async () => {
  const h = await startServer({ maxRecipients: 3 });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  await c.send('MAIL FROM:<a@b.c>');
  for (let i = 0; i < 3; i++) assert.equal(code(await c.send(`RCPT TO:<r${i}@b.c>`)), '250 2.1.5');
  assert.equal(code(await c.send('RCPT TO:<r9@b.c>')), '452 4.5.3');
  c.close();
  await h.stop();
});

test('closes with 421 4.7.0 after 10 bad commands', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  for (let i = 0; i < 9; i++) assert.equal(code(await c.send('BOGUS')), '500 5.5.1');
  const last = await c.send('BOGUS');
  assert.equal(code(last), '500 5.5.1');
  assert.equal(code(await c.reply()), '421 4.7.0');
  await c.waitClosed();
  await h.stop();
  assert.ok(h.logs.some((l) => (l.obj as { end?: string }).end === 'too-many-errors'));
});

test('refuses control characters in commands with 500 5.5.2', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  assert.equal(code(await c.send('NOOP a\x01b')), '500 5.5.2');
  assert.equal(code(await c.send('NOOP a\rb')), '500 5.5.2');
  c.close();
  await h.stop();
});

test('answers VRFY with 252, HELP with 214, NOOP and RSET with 250 and unknown verbs with 500 5.5.1', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  assert.equal(code(await c.send('VRFY bob')), '252 2.5.0');
  assert.equal(code(await c.send('HELP')), '214 2.0.0');
  assert.equal(code(await c.send('noop')), '250 2.0.0');
  assert.equal(code(await c.send('RSET')), '250 2.0.0');
  assert.equal(code(await c.send('EXPN list')), '502 5.5.1');
  assert.equal(code(await c.send('WHAT')), '500 5.5.1');
  c.close();
  await h.stop();
});

test('refuses SIZE above the maximum at MAIL and a body above it at the dot with 552 5.3.4', async () => {
  const h = await startServer({ maxMessageSize: 1000 });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  assert.equal(code(await c.send('MAIL FROM:<a@b.c> SIZE=1001')), '552 5.3.4');
  await c.send('MAIL FROM:<a@b.c>');
  await c.send('RCPT TO:<d@b.c>');
  await c.send('DATA');
  c.write(('y'.repeat(98) + '\r\n').repeat(20));
  c.write('.\r\n');
  assert.equal(code(await c.reply()), '552 5.3.4');
  assert.equal(h.backend.messages.length, 0);
  assert.deepEqual(h.backend.aborted, ['message size exceeds maximum']);
  // The session goes on: a new transaction works.
  await c.send('MAIL FROM:<a@b.c>');
  await c.send('RCPT TO:<d@b.c>');
  await c.send('DATA');
  assert.equal(code(await c.send('small\r\n.')), '250 2.0.0');
  c.close();
  await h.stop();
});

test('answers HTTP requests on the SMTP port with 554 5.7.0 and closes', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(await c.reply(), '554 5.7.0 This is an SMTP server; HTTP requests are not served here\r\n');
  await c.waitClosed();
  await h.stop();
});

test('answers a TLS ClientHello on the plaintext port with 554 5.7.0 and closes', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  c.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0a]));
  assert.equal(code(await c.reply()), '554 5.7.0');
  await c.waitClosed();
  await h.stop();
});

test('refuses early talkers with 554 when a greeting delay is set', async () => {
  const h = await startServer({ greetingDelayMs: 300 });
  const c = await RawClient.connect(h.port);
  c.write('EHLO rushing.test\r\n');
  assert.equal(code(await c.reply()), '554 5.5.0');
  await c.waitClosed();
  const d = await RawClient.connect(h.port);
  assert.equal(code(await d.reply()), '220 mx.te');
  d.close();
  await h.stop();
});

test('refuses connections over the total and per-address limits with 421 4.7.0', async () => {
  const h = await startServer({ maxConnectionsPerAddress: 2 });
  const a = await RawClient.connect(h.port);
  const b = await RawClient.connect(h.port);
  assert.equal(code(await a.reply()), '220 mx.te');
  assert.equal(code(await b.reply()), '220 mx.te');
  const c = await RawClient.connect(h.port);
  assert.equal(code(await c.reply()), '421 4.7.0');
  await c.waitClosed();
  a.close();
  b.close();
  await h.stop();
  const t = await startServer({ maxConnections: 1 });
  const x = await RawClient.connect(t.port);
  await x.reply();
  const y = await RawClient.connect(t.port);
  assert.equal(code(await y.reply()), '421 4.7.0');
  x.close();
  await t.stop();
});

test('closes with 421 4.4.2 when the client is silent past the command timeout', async () => {
  const h = await startServer({ commandTimeoutMs: 150 });
  const c = await RawClient.connect(h.port);
  await c.reply();
  assert.equal(code(await c.reply()), '421 4.4.2');
  await c.waitClosed();
  await h.stop();
});

test('closes with 421 4.4.2 at the session deadline', async () => {
  const h = await startServer({ sessionDeadlineMs: 1000 });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('NOOP');
  assert.equal(code(await c.reply()), '421 4.4.2');
  await c.waitClosed();
  await h.stop();
});

test('closes with 421 4.4.2 when DATA arrives slower than the minimum rate, and nothing is kept', async () => {
  const h = await startServer({ minDataRateBytesPerSec: 1_000_000, dataRateGraceMs: 50 });
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  await c.send('DATA');
  c.write('a\r\n');
  await new Promise((r) => setTimeout(r, 120));
  c.write('b\r\n');
  assert.equal(code(await c.reply()), '421 4.4.2');
  await c.waitClosed();
  await h.stop();
  assert.equal(h.backend.messages.length, 0);
  assert.ok(h.backend.calls.includes('abort'));
});

test('calls session.close exactly once whatever ends the connection, and logs one summary line per session', async () => {
  const h = await startServer({}, { async: true });
  const a = await RawClient.connect(h.port);
  await a.reply();
  await a.send('QUIT');
  await a.waitClosed();
  const b = await RawClient.connect(h.port);
  await openTransaction(b);
  await b.send('DATA');
  b.write('partial');
  b.close(); // reset mid-DATA
  const c = await RawClient.connect(h.port);
  c.close(); // gone before the greeting
  await h.stop();
  assert.equal(h.backend.closes, 3);
  assert.equal(h.backend.sessionsOpen, 0);
  const summaries = h.logs.filter((l) => l.msg === 'smtp session');
  assert.equal(summaries.length, 3);
  assert.ok(h.backend.aborted.includes('connection lost'));
});

test('answers MAIL before STARTTLS with 530 5.7.0 when the listener requires TLS', async () => {
  const h = await startServer({ requireTls: true });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  assert.equal(code(await c.send('MAIL FROM:<a@b.c>')), '530 5.7.0');
  assert.equal(code(await c.send('NOOP')), '250 2.0.0');
  c.close();
  await h.stop();
});

test('answers HELO with a plain 250 and no extension list', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  assert.equal(await c.send('HELO old.client'), '250 mx.test greets old.client\r\n');
  assert.equal(code(await c.send('HELO')), '501 5.5.4');
  c.close();
  await h.stop();
});

test('resets the envelope on RSET so RCPT needs a new MAIL', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  assert.equal(code(await c.send('RSET')), '250 2.0.0');
  assert.equal(code(await c.send('RCPT TO:<x@y.z>')), '503 5.5.1');
  c.close();
  await h.stop();
});
