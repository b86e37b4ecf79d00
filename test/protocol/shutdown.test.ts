import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, code, openTransaction, startServer } from './helpers.js';

test('graceful shutdown answers idle sessions 421 4.3.2 and lets a session in DATA finish its message', async () => {
  const h = await startServer();
  const idle = await RawClient.connect(h.port);
  await idle.reply();
  await idle.send('EHLO idle');
  const busy = await RawClient.connect(h.port);
  await openTransaction(busy);
  await busy.send('DATA');
  busy.write('Subject: in flight\r\n\r\npart one\r\n');
  await new Promise((r) => setTimeout(r, 20));
  const closed = h.server.close(5000);
  assert.equal(code(await idle.reply()), '421 4.3.2');
  await idle.waitClosed();
  busy.write('part two\r\n.\r\n');
  assert.equal(code(await busy.reply()), '250 2.0.0');
  assert.equal(code(await busy.reply()), '421 4.3.2');
  await busy.waitClosed();
  await closed;
  assert.equal(h.server.connectionCount, 0);
  assert.equal(h.backend.messages.length, 1);
  assert.equal(h.backend.messages[0]!.body.toString(), 'Subject: in flight\r\n\r\npart one\r\npart two\r\n');
});

test('graceful shutdown cuts a session still in DATA when the grace period ends, keeping nothing', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  await c.send('DATA');
  c.write('never finished\r\n');
  await new Promise((r) => setTimeout(r, 20));
  await h.server.close(100);
  assert.equal(code(await c.reply()), '421 4.3.2');
  await c.waitClosed();
  assert.equal(h.backend.messages.length, 0);
  assert.equal(h.backend.closes, 1);
});

test('stops listening on close and rejects listen on a port in use', async () => {
  const h = await startServer();
  const other = await startServer();
  await assert.rejects(other.server.listen(h.port, '127.0.0.1'), /EADDRINUSE/);
  await h.stop();
  await assert.rejects(RawClient.connect(h.port));
  await other.stop();
});

test('serves several ports from one server and close() stops them all', async () => {
  const h = await startServer();
  const second = await h.server.listen(0, '127.0.0.1');
  const a = await RawClient.connect(h.port);
  const b = await RawClient.connect(second.port);
  assert.equal(code(await a.reply()), '220 mx.te');
  assert.equal(code(await b.reply()), '220 mx.te');
  assert.equal(h.server.connectionCount, 2);
  await h.stop();
  await a.waitClosed();
  await b.waitClosed();
  await assert.rejects(RawClient.connect(second.port));
});
