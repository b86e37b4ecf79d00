import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, code, startServer } from './helpers.js';

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

test('takes the client address from a PROXY v1 header sent by a trusted peer', async () => {
  const h = await startServer({ proxyProtocol: { trusted: ['127.0.0.1'] } });
  const c = await RawClient.connect(h.port);
  c.write('PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\nEHLO x\r\n');
  assert.equal(code(await c.reply()), '220 mx.te');
  assert.equal(code(await c.reply()), '250-mx.te');
  assert.equal(h.backend.connections[0]!.remoteAddress, '203.0.113.7');
  assert.equal(h.backend.connections[0]!.remotePort, 40000);
  assert.equal(h.backend.connections[0]!.proxied, true);
  c.close();
  await h.stop();
});

test('takes the client address from a PROXY v2 header sent by a trusted peer', async () => {
  const h = await startServer({ proxyProtocol: { trusted: ['127.0.0.0/8'] } });
  const c = await RawClient.connect(h.port);
  c.write(Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 0x0c, 198, 51, 100, 9, 192, 0, 2, 1, 0x9c, 0x40, 0x00, 0x19])]));
  assert.equal(code(await c.reply()), '220 mx.te');
  assert.equal(h.backend.connections[0]!.remoteAddress, '198.51.100.9');
  c.close();
  await h.stop();
});

test('closes a trusted peer connection that does not start with a valid PROXY header', async () => {
  const h = await startServer({ proxyProtocol: { trusted: ['127.0.0.1'] } });
  const c = await RawClient.connect(h.port);
  c.write('EHLO x\r\n');
  await c.waitClosed();
  assert.equal(c.rest, '');
  await h.stop();
  assert.equal(h.backend.connections.length, 0);
});

test('refuses a PROXY header from an untrusted peer with 554 5.7.0 and closes', async () => {
  const h = await startServer({ proxyProtocol: { trusted: ['192.0.2.10'] } });
  const c = await RawClient.connect(h.port);
  await c.reply();
  c.write('PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n');
  assert.equal(code(await c.reply()), '554 5.7.0');
  await c.waitClosed();
  const d = await RawClient.connect(h.port);
  await d.reply();
  d.write(Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2])]));
  assert.equal(code(await d.reply()), '554 5.7.0');
  await d.waitClosed();
  await h.stop();
  assert.ok(h.backend.connections.every((x) => x.remoteAddress === '127.0.0.1'));
});
