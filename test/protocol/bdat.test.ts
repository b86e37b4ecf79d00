import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, code, openTransaction, startServer } from './helpers.js';

test('accepts a message in BDAT chunks with exact byte counts and no dot-unstuffing', async () => {
  for (const async of [false, true]) {
    const h = await startServer({}, { async });
    const c = await RawClient.connect(h.port);
    await openTransaction(c);
    const part1 = 'Subject: b\r\n\r\n..kept\r\n';
    const part2 = '.\r\nend\r\n';
    c.write(`BDAT ${part1.length}\r\n${part1}BDAT ${part2.length} LAST\r\n${part2}`);
    assert.equal(await c.reply(), `250 2.0.0 ${part1.length} octets received\r\n`);
    assert.equal(code(await c.reply()), '250 2.0.0');
    assert.equal(h.backend.messages[0]!.body.toString(), part1 + part2);
    assert.equal(code(await c.send('DATA')), '503 5.5.1');
    c.close();
    await h.stop();
  }
});

test('accepts BDAT 0 LAST to end a chunked message', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  c.write('BDAT 4\r\nab\r\nBDAT 0 LAST\r\n');
  assert.equal(code(await c.reply()), '250 2.0.0');
  assert.equal(code(await c.reply()), '250 2.0.0');
  assert.equal(h.backend.messages[0]!.body.toString(), 'ab\r\n');
  c.close();
  await h.stop();
});

test('consumes the bytes of a BDAT refused for bad sequence and answers 503 5.5.1', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  c.write('BDAT 12 LAST\r\nNOOP\r\nNOOP\r\n');
  assert.equal(code(await c.reply()), '503 5.5.1');
  assert.equal(code(await c.send('NOOP')), '250 2.0.0');
  c.close();
  await h.stop();
});

test('refuses bare LF in BDAT content with 521 5.5.2 and keeps nothing (strict line endings)', async () => {
  const h = await startServer({ lineEndings: 'strict' });
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  c.write('BDAT 7 LAST\r\nab\ncd\r\n');
  assert.equal(code(await c.reply()), '521 5.5.2');
  await c.waitClosed();
  await h.stop();
  assert.equal(h.backend.messages.length, 0);
  assert.ok(h.backend.calls.includes('abort'));
});

test('accepts bare LF in BDAT content by default (normalize) and refuses a bare CR with 521 5.5.2', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  c.write('BDAT 7 LAST\r\nab\ncd\r\n');
  assert.equal(code(await c.reply()), '250 2.0.0');
  assert.equal(h.backend.messages[0]?.body.toString(), 'ab\ncd\r\n');
  await c.send('MAIL FROM:<alice@example.com>');
  await c.send('RCPT TO:<bob@example.com>');
  c.write('BDAT 7 LAST\r\nab\rcd\r\n');
  assert.equal(await c.reply(), '521 5.5.2 Bare CR in message data\r\n');
  await c.waitClosed();
  await h.stop();
  assert.equal(h.backend.messages.length, 1);
});

test('refuses a BDAT message over the size limit with 552 5.3.4 and ends the transaction', async () => {
  const h = await startServer({ maxMessageSize: 1000 });
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  const chunk = 'z'.repeat(598) + '\r\n';
  c.write(`BDAT 600\r\n${chunk}BDAT 600\r\n${chunk}BDAT 2 LAST\r\n\r\n`);
  assert.equal(code(await c.reply()), '250 2.0.0');
  assert.equal(code(await c.reply()), '552 5.3.4');
  assert.equal(code(await c.reply()), '503 5.5.1');
  assert.equal(h.backend.messages.length, 0);
  c.close();
  await h.stop();
});
