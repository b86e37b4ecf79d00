import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { run, startServer, testCertificate } from './helpers.js';
import { needTool, requireTool } from '../support/system-tools.js';

const cert = testCertificate();
const tls = { key: cert.key, cert: cert.cert };

test('Python smtplib sends over STARTTLS with AUTH PLAIN and a dot-leading line', { skip: needTool('python3'), timeout: 30_000 }, async () => {
  const h = await startServer({ tls }, { password: 'api-key-1' });
  const py = `
import smtplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', ${h.port}, timeout=10)
s.starttls(context=ctx)
s.login('anyone', 'api-key-1')
s.sendmail('from@example.com', ['to1@example.com', 'to2@example.com'], 'Subject: py\\r\\n\\r\\n.leading dot\\r\\nend\\r\\n')
s.quit()
`;
  const r = await run(requireTool('python3'), ['-c', py]);
  assert.equal(r.code, 0, r.stderr);
  await h.stop();
  const m = h.backend.messages[0]!;
  assert.deepEqual(m.to, ['to1@example.com', 'to2@example.com']);
  assert.equal(m.body.toString(), 'Subject: py\r\n\r\n.leading dot\r\nend\r\n');
  assert.equal(m.authUser, 'anyone');
  assert.equal(m.tls, true);
});

test('Python smtplib sees 535 for a wrong key and SMTPUTF8 addresses go through', { skip: needTool('python3'), timeout: 30_000 }, async () => {
  const h = await startServer({ authBeforeTls: true }, { password: 'right' });
  const py = `
import smtplib
s = smtplib.SMTP('127.0.0.1', ${h.port}, timeout=10)
try:
    s.login('u', 'wrong')
    print('LOGGED IN')
except smtplib.SMTPAuthenticationError as e:
    print('AUTHFAIL', e.smtp_code)
s.login('u', 'right')
s.sendmail('jörg@example.com', ['zoë@bücher.example'], 'Subject: utf8\\r\\n\\r\\nhi\\r\\n'.encode(), mail_options=['SMTPUTF8'])
s.quit()
`;
  const r = await run(requireTool('python3'), ['-c', py]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /AUTHFAIL 535/);
  await h.stop();
  assert.equal(h.backend.messages[0]!.from, 'jörg@example.com');
  assert.deepEqual(h.backend.messages[0]!.to, ['zoë@bücher.example']);
  assert.equal(h.backend.messages[0]!.params.smtputf8, true);
});

test('swaks delivers with STARTTLS, AUTH LOGIN and pipelining', { skip: needTool('swaks'), timeout: 30_000 }, async () => {
  const h = await startServer({ tls }, { password: 'k' });
  const r = await run(requireTool('swaks'), [
    '--server', `127.0.0.1:${h.port}`, '--tls', '--auth', 'LOGIN', '--auth-user', 'u', '--auth-password', 'k',
    '--pipeline', '--from', 'a@example.com', '--to', 'b@example.com', '--body', 'swaks body', '--header', 'Subject: swaks',
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await h.stop();
  assert.equal(h.backend.messages.length, 1);
  assert.match(h.backend.messages[0]!.body.toString(), /\r\n\r\nswaks body\r\n/);
});

test('swaks delivers with pipelining on the plaintext port', { skip: needTool('swaks'), timeout: 30_000 }, async () => {
  const h = await startServer();
  const r = await run(requireTool('swaks'), ['--server', `127.0.0.1:${h.port}`, '--from', 'a@example.com', '--to', 'b@example.com', '--body', 'chunked', '--protocol', 'ESMTP', '--pipeline']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await h.stop();
  assert.match(h.backend.messages[0]!.body.toString(), /chunked/);
});

test('nodemailer sends over STARTTLS with AUTH and the engine keeps the exact body', async () => {
  const h = await startServer({ tls }, { password: 'secret', async: true });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1', port: h.port, secure: false, requireTLS: true,
    auth: { user: 'user', pass: 'secret' }, tls: { rejectUnauthorized: false },
  });
  const info = await transport.sendMail({ from: 'a@example.com', to: ['b@example.com', 'c@example.com'], subject: 'nm', html: '<p>.dot</p>\n.\n..' });
  assert.match(info.response, /^250 2\.0\.0/);
  transport.close();
  await h.stop();
  const m = h.backend.messages[0]!;
  assert.deepEqual(m.to, ['b@example.com', 'c@example.com']);
  assert.match(m.body.toString(), /Subject: nm/);
  assert.equal(m.tls, true);
});
