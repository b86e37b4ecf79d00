import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { RawClient, code, startServer, testCertificate } from './helpers.js';
import { needTool, requireTool } from '../support/system-tools.js';

const cert = testCertificate();
const tls = { key: cert.key, cert: cert.cert };
const plain = (user: string, pass: string): string => Buffer.from(`\0${user}\0${pass}`).toString('base64');

test('advertises STARTTLS before TLS only, and AUTH only after TLS', async () => {
  const h = await startServer({ tls }, { password: 'key' });
  const c = await RawClient.connect(h.port);
  await c.reply();
  const before = (await c.send('EHLO x'))!;
  assert.match(before, /250[- ]STARTTLS\r\n/);
  assert.doesNotMatch(before, /AUTH/);
  assert.equal(await c.send('STARTTLS'), '220 2.0.0 Ready to start TLS\r\n');
  await c.startTls();
  const after = (await c.send('EHLO x'))!;
  assert.doesNotMatch(after, /STARTTLS/);
  assert.match(after, /250 AUTH PLAIN LOGIN\r\n$/);
  assert.equal(code(await c.send('STARTTLS')), '503 5.5.1');
  c.close();
  await h.stop();
});

test('refuses AUTH before STARTTLS with 538 5.7.11 unless authBeforeTls', async () => {
  const h = await startServer({ tls }, { password: 'key' });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  assert.match((await c.send(`AUTH PLAIN ${plain('u', 'key')}`))!, /^538 5\.7\.11 /);
  c.close();
  await h.stop();
  const open = await startServer({ authBeforeTls: true }, { password: 'key' });
  const d = await RawClient.connect(open.port);
  await d.reply();
  assert.match((await d.send('EHLO x'))!, /AUTH PLAIN LOGIN/);
  assert.equal(code(await d.send(`AUTH PLAIN ${plain('u', 'key')}`)), '235 2.7.0');
  d.close();
  await open.stop();
});

test('does not answer a command pipelined behind STARTTLS over TLS: 554 5.5.0 and close', async () => {
  const h = await startServer({ tls });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  c.write('STARTTLS\r\nRSET\r\n');
  assert.equal(code(await c.reply()), '554 5.5.0');
  await c.waitClosed();
  assert.equal(c.rest, '');
  await h.stop();
  // Only EHLO reset the session: RSET never ran.
  assert.equal(h.backend.calls.filter((x) => x === 'reset').length, 1);
});

test('forgets EHLO, AUTH and the envelope after STARTTLS (CVE-2011-0411)', async () => {
  const h = await startServer({ tls, authBeforeTls: true }, { password: 'key' });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  assert.equal(code(await c.send(`AUTH PLAIN ${plain('u', 'key')}`)), '235 2.7.0');
  await c.send('STARTTLS');
  await c.startTls();
  assert.equal(code(await c.send('MAIL FROM:<a@b.c>')), '503 5.5.1');
  await c.send('EHLO x');
  assert.equal(code(await c.send('MAIL FROM:<a@b.c>')), '250 2.1.0');
  await c.send('RCPT TO:<d@b.c>');
  await c.send('DATA');
  await c.send('hi\r\n.');
  c.close();
  await h.stop();
  assert.equal(h.backend.messages[0]!.authUser, null, 'AUTH from before TLS was forgotten');
  assert.equal(h.backend.messages[0]!.tls, true);
});

test('authenticates with AUTH PLAIN with and without an initial response, and AUTH LOGIN', async () => {
  const h = await startServer({ authBeforeTls: true }, { password: 'key' });
  const login = async (steps: [string, string][]): Promise<void> => {
    const c = await RawClient.connect(h.port);
    await c.reply();
    await c.send('EHLO x');
    for (const [send, expect] of steps) assert.equal(await c.send(send), expect, send);
    c.close();
  };
  await login([[`AUTH PLAIN ${plain('u', 'key')}`, '235 2.7.0 Authentication successful\r\n']]);
  await login([['AUTH PLAIN', '334 \r\n'], [plain('u', 'key'), '235 2.7.0 Authentication successful\r\n']]);
  await login([
    ['AUTH LOGIN', '334 VXNlcm5hbWU6\r\n'],
    [Buffer.from('u').toString('base64'), '334 UGFzc3dvcmQ6\r\n'],
    [Buffer.from('key').toString('base64'), '235 2.7.0 Authentication successful\r\n'],
  ]);
  await login([[`AUTH LOGIN ${Buffer.from('u').toString('base64')}`, '334 UGFzc3dvcmQ6\r\n'], [Buffer.from('key').toString('base64'), '235 2.7.0 Authentication successful\r\n']]);
  await login([['AUTH PLAIN', '334 \r\n'], ['*', '501 5.0.0 Authentication cancelled\r\n']]);
  await login([['AUTH CRAM-MD5', '504 5.5.4 Unrecognized authentication mechanism\r\n']]);
  await h.stop();
});

test('closes with 421 4.7.0 after 3 AUTH failures in a session', async () => {
  const h = await startServer({ authBeforeTls: true }, { password: 'key', async: true });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  assert.equal(code(await c.send(`AUTH PLAIN ${plain('u', 'bad')}`)), '535 5.7.8');
  assert.equal(code(await c.send(`AUTH PLAIN ${plain('u', 'bad')}`)), '535 5.7.8');
  assert.equal(code(await c.send(`AUTH PLAIN ${plain('u', 'bad')}`)), '535 5.7.8');
  assert.equal(code(await c.reply()), '421 4.7.0');
  await c.waitClosed();
  await h.stop();
});

test('refuses AUTH from an address over its per-minute failure limit with 421 4.7.0', async () => {
  const h = await startServer({ authBeforeTls: true, maxAuthFailuresPerAddressPerMinute: 2 }, { password: 'key' });
  for (let i = 0; i < 2; i++) {
    const c = await RawClient.connect(h.port);
    await c.reply();
    await c.send('EHLO x');
    assert.equal(code(await c.send(`AUTH PLAIN ${plain('u', 'bad')}`)), '535 5.7.8');
    c.close();
  }
  const d = await RawClient.connect(h.port);
  await d.reply();
  await d.send('EHLO x');
  assert.equal(code(await d.send(`AUTH PLAIN ${plain('u', 'key')}`)), '421 4.7.0');
  await d.waitClosed();
  await h.stop();
});

/** Drives `openssl s_client -starttls smtp`: writes line n+1 once the output matches expect[n]. */
function opensslSession(port: number, lines: string[], expect: RegExp[]): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(requireTool('openssl'), ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${port}`, '-quiet'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let step = 0;
    const timer = setTimeout(() => child.kill(), 10000);
    child.on('error', (err) => (out += `openssl: ${err.message}\n`));
    child.stdout.setEncoding('utf8');
    // After the handshake the server waits for the client: the first line goes at once.
    child.stdin.write(lines[step++]!);
    child.stdout.on('data', (d: string) => {
      out += d;
      while (step < lines.length && expect[step - 1]!.test(out)) child.stdin.write(lines[step++]!);
      if (step === lines.length) child.stdin.end();
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

test('completes a STARTTLS handshake with openssl s_client', { skip: needTool('openssl'), timeout: 30_000 }, async () => {
  const h = await startServer({ tls });
  try {
    const out = await opensslSession(h.port, ['EHLO openssl.test\r\n', 'QUIT\r\n'], [/250 /]);
    assert.match(out, /250-mx\.test greets openssl\.test/);
    assert.match(out, /221 2\.0\.0 Bye/);
  } finally {
    await h.stop();
  }
});

test('negotiates TLS 1.2 and refuses TLS 1.1 after STARTTLS', async () => {
  const h = await startServer({ tls });
  try {
    const handshake = async (version: 'TLSv1.1' | 'TLSv1.2'): Promise<string> => {
      const c = await RawClient.connect(h.port);
      await c.reply();
      await c.send('EHLO x');
      await c.send('STARTTLS');
      const raw = c.socket as Socket;
      raw.removeAllListeners('data');
      return new Promise((resolve) => {
        const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
        secure.once('secureConnect', () => {
          resolve(secure.getProtocol() ?? 'none');
          secure.destroy();
        });
        secure.once('error', () => {
          resolve('refused');
          raw.destroy();
        });
      });
    };
    assert.equal(await handshake('TLSv1.2'), 'TLSv1.2');
    assert.equal(await handshake('TLSv1.1'), 'refused');
  } finally {
    await h.stop();
  }
});

test('reloads the certificate with setTls without dropping a running session', async () => {
  const h = await startServer({ tls });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  await c.send('STARTTLS');
  await c.startTls();
  assert.throws(() => h.server.setTls({ key: 'garbage', cert: 'garbage' }));
  h.server.setTls(tls);
  assert.equal(code(await c.send('EHLO again')), '250-mx.te');
  const d = await RawClient.connect(h.port);
  await d.reply();
  await d.send('EHLO x');
  assert.equal(code(await d.send('STARTTLS')), '220 2.0.0');
  await d.startTls();
  assert.equal(code(await d.send('NOOP')), '250 2.0.0');
  c.close();
  d.close();
  await h.stop();
});

test('accepts an AUTH PLAIN initial response longer than the 2048-byte command limit (RFC 4954 §4: 12288)', async () => {
  const long = 'k'.repeat(3000);
  const h = await startServer({ authBeforeTls: true }, { password: long });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  assert.equal(code(await c.send(`AUTH PLAIN ${plain('u', long)}`)), '235 2.7.0');
  c.close();
  await h.stop();
});

test('abandons an AUTH exchange whose response line is too long with 500 5.5.2', async () => {
  const h = await startServer({ authBeforeTls: true }, { password: 'key' });
  const c = await RawClient.connect(h.port);
  await c.reply();
  await c.send('EHLO x');
  assert.equal(await c.send('AUTH PLAIN'), '334 \r\n');
  assert.equal(code(await c.send('A'.repeat(13000))), '500 5.5.2');
  assert.equal(code(await c.send('NOOP')), '250 2.0.0');
  c.close();
  await h.stop();
});
