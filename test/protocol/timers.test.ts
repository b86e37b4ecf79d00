// Command timeout, linger after hang-up, and the connection facts a backend sees: one timer per connection
// and addresses read on first use must behave exactly as socket.setTimeout and eager reads did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { ConnectionInfo } from '../../src/protocol/backend.js';
import { SmtpServer } from '../../src/protocol/server.js';
import { RawClient, code, startServer } from './helpers.js';
import { RecordingBackend } from './test-backend.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When the server wrote its session line (it does so when the socket is gone), polled every 10 ms. */
async function sessionEnded(logs: { msg?: string | undefined }[]): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    if (logs.some((l) => l.msg === 'smtp session')) return Date.now();
    await sleep(10);
  }
  throw new Error('the session never ended');
}

test('the command timeout counts client silence from the last command, not from the connect', async () => {
  const h = await startServer({ commandTimeoutMs: 400 });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await sleep(250);
  assert.equal(code(await c.send('NOOP')), '250 2.0.0');
  const lastCommand = Date.now();
  await sleep(250); // 500 ms after the connect, 250 ms after the NOOP: still open
  assert.equal(c.closed, false);
  assert.equal(code(await c.reply()), '421 4.4.2');
  assert.ok(Date.now() - lastCommand >= 350, `timed out ${Date.now() - lastCommand} ms after the last command`);
  await c.waitClosed();
  await h.stop();
  assert.equal((h.logs.find((l) => l.msg === 'smtp session')!.obj as { end: string }).end, 'timeout');
});

test('after QUIT a peer that keeps its side open is cut after the linger', async () => {
  const h = await startServer();
  const socket = connect({ port: h.port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {});
  let received = '';
  let ended = 0;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.on('end', () => (ended = Date.now()));
  await new Promise((r) => socket.once('connect', r));
  await sleep(50);
  socket.write('QUIT\r\n');
  // The client never closes its side: the server's session ends (log line) only when it destroys the socket.
  const closedAt = await sessionEnded(h.logs);
  socket.destroy();
  assert.match(received, /221 2\.0\.0 Bye/);
  assert.ok(ended > 0, 'the server ended its side');
  const linger = closedAt - ended;
  assert.ok(linger >= 1500 && linger < 4000, `destroyed ${linger} ms after the hang-up`);
  await h.stop();
});

test('after a hang-up, a command timeout shorter than the linger cuts a silent peer first', async () => {
  const h = await startServer({ commandTimeoutMs: 300 });
  const socket = connect({ port: h.port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {});
  socket.resume();
  let ended = 0;
  socket.on('end', () => (ended = Date.now()));
  await new Promise((r) => socket.once('connect', r));
  await sleep(50);
  socket.write('QUIT\r\n');
  const closedAt = await sessionEnded(h.logs);
  socket.destroy();
  assert.ok(ended > 0);
  assert.ok(closedAt - ended < 1500, `destroyed ${closedAt - ended} ms after the hang-up`);
  await h.stop();
});

test('without a logger the backend still sees the real addresses and ports, also after the connection closed', async () => {
  const backend = new RecordingBackend();
  const server = new SmtpServer(backend, { hostname: 'mx.test', maxConnections: 10, maxConnectionsPerAddress: 10 });
  const { port } = await server.listen(0, '127.0.0.1');
  const c = await RawClient.connect(port);
  const clientPort = c.socket.localPort;
  assert.match((await c.reply())!, /^220 mx\.test/);
  assert.equal(code(await c.send('QUIT')), '221 2.0.0');
  await c.waitClosed();
  await server.close(200);
  const info: ConnectionInfo = backend.connections[0]!;
  const expected = { id: info.id, remoteAddress: '127.0.0.1', remotePort: clientPort, localAddress: '127.0.0.1', localPort: port, proxied: false };
  assert.deepEqual(
    { id: info.id, remoteAddress: info.remoteAddress, remotePort: info.remotePort, localAddress: info.localAddress, localPort: info.localPort, proxied: info.proxied },
    expected,
  );
  assert.deepEqual(JSON.parse(JSON.stringify(info)), expected);
});

test('a wildcard listener reports the local address of each connection as the socket has it', async () => {
  const backend = new RecordingBackend();
  const server = new SmtpServer(backend, { hostname: 'mx.test' });
  const { port } = await server.listen(0);
  const c = await RawClient.connect(port);
  await c.reply();
  assert.equal(code(await c.send('QUIT')), '221 2.0.0');
  await c.waitClosed();
  await server.close(200);
  const info = backend.connections[0]!;
  assert.equal(info.localAddress, '127.0.0.1');
  assert.equal(info.localPort, port);
  assert.equal(info.remoteAddress, '127.0.0.1');
});

test('a per-address limit below maxConnections still refuses the extra connection', async () => {
  const h = await startServer({ maxConnections: 5, maxConnectionsPerAddress: 1 });
  const a = await RawClient.connect(h.port);
  assert.equal(code(await a.reply()).slice(0, 3), '220');
  const b = await RawClient.connect(h.port);
  assert.equal(code(await b.reply()), '421 4.7.0');
  await b.waitClosed();
  a.socket.destroy();
  await a.waitClosed();
  await sleep(50);
  const c = await RawClient.connect(h.port);
  assert.equal(code(await c.reply()).slice(0, 3), '220');
  c.socket.destroy();
  await h.stop();
});
