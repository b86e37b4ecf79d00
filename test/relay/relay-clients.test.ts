// The relay with the clients operators actually use: swaks and Python's smtplib, over STARTTLS with AUTH.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { KEY_A, relayPerSuite, removeDir, startTestRelay, waitForSubject, type TestRelay } from './relay-harness.js';
import { needTool, requireTool } from '../support/system-tools.js';

/** Runs a client process without blocking the event loop (the relay under test runs in this process). */
function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => (stderr += `${cmd}: ${err.message}\n`));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('relay with real clients', () => {
  let t: TestRelay;
  // AUTH only after STARTTLS, as in production.
  relayPerSuite((r) => (t = r), (json) => {
    (json['listeners'] as Record<string, unknown>[])[0]!['authBeforeTls'] = false;
  });

  test('swaks over STARTTLS with AUTH PLAIN gets 250 and the HTML arrives', { skip: needTool('swaks'), timeout: 30_000 }, async () => {
    const r = await run(
      requireTool('swaks'),
      [
        '--server', `127.0.0.1:${t.port}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'app', '--auth-password', KEY_A,
        '--from', 'app@example.com', '--to', 'swaks@example.net',
        '--header', 'Subject: from swaks', '--header', 'Content-Type: text/html; charset=utf-8',
        '--body', '<p>hello from swaks</p>',
      ],
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /<~ {1,2}250 2\.0\.0 Ok: queued as /);
    const [m] = await waitForSubject(t.outbox('out-main'), 'from swaks');
    assert.ok(m?.html && m.html.includes('hello from swaks'));
  });

  test('AUTH before STARTTLS is refused with 538 5.7.11 (and not advertised)', async () => {
    const transcript = await new Promise<string>((resolve, reject) => {
      const sock = connect(t.port, '127.0.0.1');
      let got = '';
      const steps = ['EHLO client.test\r\n', `AUTH PLAIN ${Buffer.from(`\0app\0${KEY_A}`).toString('base64')}\r\n`, 'QUIT\r\n'];
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        got += d;
        // One step per complete final reply line ("NNN " at a line start).
        const finals = got.split('\r\n').filter((l) => /^\d{3} /.test(l)).length;
        if (finals - 1 < steps.length && finals > 0 && steps[finals - 1]) {
          sock.write(steps[finals - 1]!);
          steps[finals - 1] = '';
        }
      });
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
    });
    assert.doesNotMatch(transcript, /AUTH PLAIN/);
    assert.match(transcript, /\r\n538 5\.7\.11 /);
  });

  test('swaks with an X-Auth-APIKey header and no AUTH is accepted', { skip: needTool('swaks'), timeout: 30_000 }, async () => {
    const r = await run(
      requireTool('swaks'),
      [
        '--server', `127.0.0.1:${t.port}`, '--from', 'app@example.com', '--to', 'hdr@example.net',
        '--header', `X-Auth-APIKey: ${KEY_A}`, '--header', 'Subject: swaks header key', '--header', 'Content-Type: text/html',
        '--body', '<p>header key</p>',
      ],
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await waitForSubject(t.outbox('out-main'), 'swaks header key');
  });

  test("Python's smtplib with starttls() and login() sends a multipart message; only the HTML arrives", { skip: needTool('python3'), timeout: 30_000 }, async () => {
    const script = `
import smtplib, ssl, sys
from email.message import EmailMessage
m = EmailMessage()
m['From'] = 'Py App <py@example.com>'
m['To'] = 'Py Reader'
m['Subject'] = 'from smtplib é'
m.set_content('plain part')
m.add_alternative('<p>html part é</p>', subtype='html')
m.add_attachment(b'%PDF-1.4 fake', maintype='application', subtype='pdf', filename='a.pdf')
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20) as s:
    s.starttls(context=ctx)
    s.login('py', sys.argv[2])
    refused = s.send_message(m, to_addrs=['py@example.net'])
    print('refused', refused)
`;
    const r = await run(requireTool('python3'), ['-c', script, String(t.port), KEY_A]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /refused \{\}/);
    const [m] = await waitForSubject(t.outbox('out-main'), 'from smtplib é');
    assert.ok(m);
    assert.equal(m.html && m.html.trim(), '<p>html part é</p>');
    assert.equal(m.attachments.length, 0);
    assert.equal((m.to as { value: { name: string; address: string }[] }).value[0]!.name, 'Py Reader');
    assert.equal((m.to as { value: { name: string; address: string }[] }).value[0]!.address, 'py@example.net');
  });
});

describe('relay metrics', () => {
  test('/metrics counts sessions, replies by code, TLS handshakes and accepted messages from real traffic', { skip: needTool('swaks'), timeout: 30_000 }, async () => {
    const t = await startTestRelay((json) => {
      json['admin'] = { host: '127.0.0.1', port: 0, token: 'metrics-test-token-0123456789' };
    });
    try {
      const r = await run(requireTool('swaks'), [
        '--server', `127.0.0.1:${t.port}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'app', '--auth-password', KEY_A,
        '--from', 'app@example.com', '--to', 'm@example.net', '--header', 'Subject: metrics', '--header', 'Content-Type: text/html', '--body', '<p>m</p>',
      ]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const res = await fetch(`http://127.0.0.1:${t.relay.admin!.port}/metrics`, { headers: { authorization: 'Bearer metrics-test-token-0123456789' } });
      assert.equal(res.status, 200);
      const text = await res.text();
      const value = (line: RegExp): number => Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop() ?? NaN);
      assert.equal(value(/^txrelay_sessions_opened_total /), 1);
      assert.equal(value(/^txrelay_sessions_closed_total\{reason="quit"\} /), 1);
      assert.equal(value(/^txrelay_smtp_replies_total\{code="235"\} /), 1);
      assert.equal(value(/^txrelay_smtp_replies_total\{code="250"\} /) >= 4, true);
      assert.equal(value(/^txrelay_tls_handshakes_total\{version="TLSv1\.3"\} /), 1);
      assert.equal(value(/^txrelay_messages_accepted_total\{/), 1);
    } finally {
      await t.stop();
      await removeDir(t.dir);
    }
  });
});
