// SmtpClient and SmtpClientPool against real upstream servers (smtp-server in process, aiosmtpd as a child).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpClient, type SmtpClientOptions } from '../../../src/protocol/client/smtp-client.js';
import { SmtpClientPool } from '../../../src/protocol/client/client-pool.js';
import { ReplyReader, formatClientReply, type ClientReply } from '../../../src/protocol/client/client-reply.js';
import {
  AuthRefusedError,
  CertificateInvalidError,
  ConnectionRefusedError,
  InvalidAddressError,
  MessageTooLargeError,
  SmtpTimeoutError,
  Smtputf8NotOfferedError,
  TlsNotOfferedError,
} from '../../../src/protocol/client/client-errors.js';
import { startSmtpServerUpstream } from '../../delivery/upstream-smtp-server.js';
import { freePort, startAiosmtpd, type AiosmtpdUpstream } from '../../delivery/upstream-aiosmtpd.js';
import { startWireRecorder } from '../../delivery/wire-recorder.js';
import { needTool } from '../../support/system-tools.js';
import { createTestCertificate } from '../../../bench/servers/tls-cert.js';

const FAST = { connectMs: 2000, greetingMs: 2000, commandMs: 2000, mailMs: 2000, rcptMs: 2000, dataInitMs: 2000, dataBlockMs: 2000, dataEndMs: 2000 };

function plain(port: number, extra: Partial<SmtpClientOptions> = {}): SmtpClientOptions {
  return { host: '127.0.0.1', port, tls: 'none', clientName: 'client.test', timeouts: FAST, ...extra };
}

function eml(subject: string, bodyLines: string[] = ['<p>hello</p>']): Buffer {
  return Buffer.from(['From: a@example.com', 'To: b@example.com', `Subject: ${subject}`, 'Content-Type: text/html', '', ...bodyLines, ''].join('\r\n'));
}

test('sends RSET, MAIL, every RCPT and DATA in one write when the server offers PIPELINING', async () => {
  const upstream = await startSmtpServerUpstream();
  const recorder = await startWireRecorder(upstream.port);
  const client = await SmtpClient.connect(plain(recorder.port));
  try {
    assert.ok(client.extensions.has('PIPELINING'));
    const r1 = await client.send({ from: 'a@example.com', to: ['b@example.com', 'c@example.com'] }, eml('one'));
    assert.equal(r1.pipelined, true);
    assert.deepEqual(r1.recipients.map((r) => r.accepted), [true, true]);
    await client.send({ from: 'a@example.com', to: ['d@example.com'] }, eml('two'));
    const reads = recorder.connections[0]!;
    assert.ok(reads.some((r) => /^MAIL FROM:<a@example.com>.*\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n$/.test(r)), reads.join('|'));
    assert.ok(reads.some((r) => /^RSET\r\nMAIL FROM:<a@example.com>.*\r\nRCPT TO:<d@example.com>\r\nDATA\r\n$/.test(r)), reads.join('|'));
    assert.equal(upstream.messages.length, 2);
  } finally {
    await client.quit();
    await recorder.close();
    await upstream.close();
  }
});

test('sends one command at a time to a server without PIPELINING (aiosmtpd) and the message arrives', { skip: needTool('aiosmtpd'), timeout: 30_000 }, async () => {
  const upstream = await startAiosmtpd();
  const client = await SmtpClient.connect(plain(upstream.port));
  try {
    assert.equal(client.extensions.has('PIPELINING'), false);
    const r = await client.send({ from: 'a@example.com', to: ['b@example.com'] }, eml('no pipelining'));
    assert.equal(r.pipelined, false);
    assert.equal(r.recipients[0]!.accepted, true);
    assert.match(formatClientReply(r.recipients[0]!.reply), /^250 2\.0\.0 OK queued/);
    await upstream.waitFor(1);
    assert.match(upstream.messages[0]!.body.toString(), /Subject: no pipelining/);
  } finally {
    await client.quit();
    await upstream.close();
  }
});

test('dot-stuffs body lines that start with "." so they arrive intact (smtp-server and aiosmtpd)', { skip: needTool('aiosmtpd'), timeout: 30_000 }, async () => {
  const lines = ['.hidden line', '..two dots', '.', 'end. not at start', '.'];
  const body = eml('dots', lines);
  const a = await startSmtpServerUpstream();
  let b: AiosmtpdUpstream | null = null;
  try {
    b = await startAiosmtpd();
    for (const port of [a.port, b.port]) {
      const client = await SmtpClient.connect(plain(port));
      const r = await client.send({ from: 'a@example.com', to: ['b@example.com'] }, body);
      assert.equal(r.recipients[0]!.accepted, true);
      await client.quit();
    }
    await b.waitFor(1);
    assert.deepEqual(a.messages[0]!.body, body);
    assert.deepEqual(b.messages[0]!.body, body);
  } finally {
    await a.close();
    await b?.close();
  }
});

test('writes bare LF and bare CR in a body as CRLF and ends an unterminated last line', async () => {
  const upstream = await startSmtpServerUpstream();
  const client = await SmtpClient.connect(plain(upstream.port));
  try {
    await client.send({ from: 'a@example.com', to: ['b@example.com'] }, Buffer.from('Subject: x\r\n\r\nline1\nline2\r.line3\r\nlast'));
    assert.equal(upstream.messages[0]!.body.toString('latin1'), 'Subject: x\r\n\r\nline1\r\nline2\r\n.line3\r\nlast\r\n');
  } finally {
    await client.quit();
    await upstream.close();
  }
});

test('parses multi-line replies split anywhere across reads, with the enhanced code of the first line', () => {
  const replies: ClientReply[] = [];
  const reader = new ReplyReader((r) => replies.push(r));
  const wire = Buffer.from('250-mx.example Hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n550-5.1.1 No such user\r\n550 5.1.1 here\r\n354\r\n');
  for (let i = 0; i < wire.length; i += 7) reader.push(wire.subarray(i, i + 7));
  assert.deepEqual(replies[0], { code: 250, enhanced: null, lines: ['mx.example Hello', 'PIPELINING', 'SIZE 1000'] });
  assert.deepEqual(replies[1], { code: 550, enhanced: '5.1.1', lines: ['5.1.1 No such user', '5.1.1 here'] });
  assert.deepEqual(replies[2], { code: 354, enhanced: null, lines: [''] });
  assert.equal(formatClientReply(replies[1]!), '550 5.1.1 No such user / 5.1.1 here');
  assert.throws(() => new ReplyReader(() => undefined).push(Buffer.from('250-a\r\n251 b\r\n')), /changes code/);
  assert.throws(() => new ReplyReader(() => undefined).push(Buffer.from('hello\r\n')), /malformed reply line/);
});

test('reads a multi-line RCPT refusal from the server as one reply for that recipient (aiosmtpd)', { skip: needTool('aiosmtpd'), timeout: 30_000 }, async () => {
  const upstream = await startAiosmtpd({ 'rcpt:bad@example.com': ['550-5.1.1 No such user\r\n550 5.1.1 Try another'] });
  const client = await SmtpClient.connect(plain(upstream.port));
  try {
    const r = await client.send({ from: 'a@example.com', to: ['good@example.com', 'bad@example.com'] }, eml('multi'));
    assert.equal(r.recipients[0]!.accepted, true);
    assert.equal(r.recipients[1]!.accepted, false);
    assert.equal(r.recipients[1]!.stage, 'RCPT');
    assert.equal(r.recipients[1]!.reply.code, 550);
    assert.equal(formatClientReply(r.recipients[1]!.reply), '550 5.1.1 No such user / 5.1.1 Try another');
    await upstream.waitFor(1);
    assert.deepEqual(upstream.messages[0]!.to, ['good@example.com']);
  } finally {
    await client.quit();
    await upstream.close();
  }
});

test('pool reuses one connection with RSET between messages and opens a new one after maxMessagesPerConnection', async () => {
  const upstream = await startSmtpServerUpstream();
  const recorder = await startWireRecorder(upstream.port);
  const pool = new SmtpClientPool({ ...plain(recorder.port), poolSize: 1, maxMessagesPerConnection: 3 });
  try {
    for (let i = 0; i < 5; i++) {
      const r = await pool.send({ from: 'a@example.com', to: [`r${i}@example.com`] }, eml(`m${i}`));
      assert.equal(r.recipients[0]!.accepted, true);
    }
    assert.equal(upstream.messages.length, 5);
    assert.equal(pool.stats().connectionsOpened, 2);
    const sessions = upstream.messages.map((m) => m.session);
    assert.equal(new Set(sessions.slice(0, 3)).size, 1);
    assert.equal(new Set(sessions.slice(3)).size, 1);
    assert.notEqual(sessions[0], sessions[3]);
    const rsets = (reads: string[]): number => reads.join('').split('RSET\r\n').length - 1;
    assert.equal(rsets(recorder.connections[0]!), 2);
    assert.equal(rsets(recorder.connections[1]!), 1);
  } finally {
    await pool.close();
    await recorder.close();
    await upstream.close();
  }
});

test('pool never opens more than poolSize connections for concurrent sends', async () => {
  const upstream = await startSmtpServerUpstream();
  const pool = new SmtpClientPool({ ...plain(upstream.port), poolSize: 2, maxMessagesPerConnection: 100 });
  try {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.send({ from: 'a@example.com', to: [`r${i}@example.com`] }, eml(`m${i}`))));
    assert.ok(results.every((r) => r.recipients[0]!.accepted));
    assert.equal(pool.stats().connectionsOpened, 2);
    assert.equal(upstream.connections, 2);
  } finally {
    await pool.close();
    await upstream.close();
  }
});

test('STARTTLS with the route CA file, then AUTH PLAIN; AUTH LOGIN when PLAIN is not offered', async () => {
  const cert = createTestCertificate();
  const auth = { username: 'relay', password: 's3cret' };
  for (const methods of [['PLAIN', 'LOGIN'], ['LOGIN']]) {
    const upstream = await startSmtpServerUpstream({ tls: { key: cert.key, cert: cert.cert }, auth, authMethods: methods });
    try {
      const client = await SmtpClient.connect(plain(upstream.port, { tls: 'required', ca: cert.cert, auth }));
      assert.equal(client.secure, true);
      assert.equal(client.authenticatedWith, methods[0]);
      await client.send({ from: 'a@example.com', to: ['b@example.com'] }, eml('tls'));
      await client.quit();
      assert.equal(upstream.messages[0]!.secure, true);
      assert.equal(upstream.messages[0]!.user, 'relay');
    } finally {
      await upstream.close();
    }
  }
  cert.remove();
});

test('refuses a self-signed certificate by default with CertificateInvalidError; accepts it with verifyCertificate false', async () => {
  const cert = createTestCertificate();
  const upstream = await startSmtpServerUpstream({ tls: { key: cert.key, cert: cert.cert } });
  try {
    await assert.rejects(SmtpClient.connect(plain(upstream.port, { tls: 'required' })), (e: unknown) => {
      assert.ok(e instanceof CertificateInvalidError);
      assert.match(e.message, /certificate of 127\.0\.0\.1 is invalid \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      return true;
    });
    const client = await SmtpClient.connect(plain(upstream.port, { tls: 'required', verifyCertificate: false }));
    assert.equal(client.secure, true);
    await client.quit();
  } finally {
    await upstream.close();
    cert.remove();
  }
});

test('tls required against a server without STARTTLS fails with TlsNotOfferedError; opportunistic goes on in clear', async () => {
  const upstream = await startSmtpServerUpstream();
  try {
    await assert.rejects(SmtpClient.connect(plain(upstream.port, { tls: 'required' })), TlsNotOfferedError);
    const client = await SmtpClient.connect(plain(upstream.port, { tls: 'opportunistic' }));
    assert.equal(client.secure, false);
    await client.quit();
    await assert.rejects(
      SmtpClient.connect(plain(upstream.port, { tls: 'opportunistic', auth: { username: 'u', password: 'p' } })),
      (e: unknown) => e instanceof AuthRefusedError && /not encrypted/.test(e.message),
    );
  } finally {
    await upstream.close();
  }
});

test('refuses locally, before MAIL, a message that needs SMTPUTF8 or exceeds SIZE, and keeps the connection', async () => {
  const upstream = await startSmtpServerUpstream({ hideSmtputf8: true, size: 1000 });
  const client = await SmtpClient.connect(plain(upstream.port));
  try {
    await assert.rejects(client.send({ from: 'a@example.com', to: ['jürgen@example.com'] }, eml('utf8')), Smtputf8NotOfferedError);
    await assert.rejects(client.send({ from: 'a@example.com', to: ['b@example.com'] }, Buffer.alloc(2000, 0x61)), MessageTooLargeError);
    await assert.rejects(client.send({ from: 'a@example.com', to: ['b@example.com>\r\nRSET'] }, eml('x')), InvalidAddressError);
    assert.equal(client.usable, true);
    const r = await client.send({ from: 'a@example.com', to: ['b@example.com'] }, eml('fine'));
    assert.equal(r.recipients[0]!.accepted, true);
  } finally {
    await client.quit();
    await upstream.close();
  }
});

test('declares SMTPUTF8 in MAIL when an address needs it and the server offers it', { skip: needTool('aiosmtpd'), timeout: 30_000 }, async () => {
  const upstream = await startAiosmtpd();
  const client = await SmtpClient.connect(plain(upstream.port));
  try {
    const r = await client.send({ from: 'a@example.com', to: ['jürgen@exämple.com'] }, eml('utf8'));
    assert.equal(r.recipients[0]!.accepted, true);
    await upstream.waitFor(1);
    assert.deepEqual(upstream.messages[0]!.to, ['jürgen@exämple.com']);
    assert.ok(upstream.messages[0]!.options.includes('SMTPUTF8'));
  } finally {
    await client.quit();
    await upstream.close();
  }
});

test('a server slower than the RCPT timeout gives SmtpTimeoutError and an unusable connection', async () => {
  const upstream = await startSmtpServerUpstream({ rcptDelayMs: 5000 });
  const client = await SmtpClient.connect(plain(upstream.port, { timeouts: { ...FAST, rcptMs: 150 } }));
  try {
    await assert.rejects(client.send({ from: 'a@example.com', to: ['b@example.com'] }, eml('slow')), (e: unknown) => {
      assert.ok(e instanceof SmtpTimeoutError);
      assert.equal(e.message, 'timed out after 150 ms waiting for RCPT reply');
      return true;
    });
    assert.equal(client.usable, false);
  } finally {
    client.destroy();
    await upstream.close();
  }
});

test('a port with nothing listening gives ConnectionRefusedError', async () => {
  const port = await freePort();
  await assert.rejects(SmtpClient.connect(plain(port)), (e: unknown) => e instanceof ConnectionRefusedError && e.message === `connection refused by 127.0.0.1:${port}`);
});

test('falls back to HELO when EHLO is answered 5xx, then sends without extensions', async () => {
  const upstream = await startSmtpServerUpstream({ disableEhlo: true });
  const client = await SmtpClient.connect(plain(upstream.port));
  try {
    assert.equal(client.extensions.size, 0);
    const r = await client.send({ from: 'a@example.com', to: ['b@example.com'] }, eml('helo'));
    assert.equal(r.pipelined, false);
    assert.equal(r.recipients[0]!.accepted, true);
    assert.equal(upstream.messages.length, 1);
  } finally {
    await client.quit();
    await upstream.close();
  }
});

test('opportunistic TLS upgrades with STARTTLS when the server offers it and says EHLO again', async () => {
  const cert = createTestCertificate();
  const upstream = await startSmtpServerUpstream({ tls: { key: cert.key, cert: cert.cert } });
  try {
    const client = await SmtpClient.connect(plain(upstream.port, { tls: 'opportunistic', ca: cert.cert }));
    assert.equal(client.secure, true);
    assert.equal(client.extensions.has('STARTTLS'), false, 'the post-TLS EHLO no longer offers STARTTLS');
    await client.send({ from: 'a@example.com', to: ['b@example.com'] }, eml('opportunistic'));
    await client.quit();
    assert.equal(upstream.messages[0]!.secure, true);
  } finally {
    await upstream.close();
    cert.remove();
  }
});

test('a large body goes out in blocks and arrives byte for byte', async () => {
  const upstream = await startSmtpServerUpstream();
  const client = await SmtpClient.connect(plain(upstream.port));
  try {
    const line = '<p>' + 'x'.repeat(70) + '</p>\r\n';
    const body = Buffer.from('Subject: big\r\n\r\n' + line.repeat(40_000));
    const r = await client.send({ from: 'a@example.com', to: ['b@example.com'] }, body);
    assert.equal(r.recipients[0]!.accepted, true);
    assert.equal(upstream.messages[0]!.body.length, body.length);
    assert.deepEqual(upstream.messages[0]!.body, body);
  } finally {
    await client.quit();
    await upstream.close();
  }
});

test('pool replaces a pooled connection the server cut while it was idle, and the message is delivered once', async () => {
  const upstream = await startSmtpServerUpstream();
  const recorder = await startWireRecorder(upstream.port);
  const pool = new SmtpClientPool({ ...plain(recorder.port), poolSize: 1, maxMessagesPerConnection: 100 });
  try {
    await pool.send({ from: 'a@example.com', to: ['first@example.com'] }, eml('first'));
    recorder.cut();
    const r = await pool.send({ from: 'a@example.com', to: ['second@example.com'] }, eml('second'));
    assert.equal(r.recipients[0]!.accepted, true);
    assert.deepEqual(upstream.messages.map((m) => m.to[0]), ['first@example.com', 'second@example.com']);
    assert.equal(pool.stats().connectionsOpened, 2);
  } finally {
    await pool.close();
    await recorder.close();
    await upstream.close();
  }
});
