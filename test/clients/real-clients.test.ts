// The same templated message through every client people point at the relay (curl, smtplib, swaks, nodemailer,
// PHPMailer, msmtp), each with STARTTLS + AUTH and each with an X-Auth-APIKey header instead, against the relay
// as `npm start` runs it (the embedded default, on a free port and a temp data folder). Each outbound .eml
// written by the file route must carry the display name, the rendered subject and HTML, and no client header.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { startRelayCli, type RelayCli } from '../relay/relay-cli.js';
import { removeDir } from '../relay/relay-harness.js';
import { needTool } from '../support/system-tools.js';

/** The message every client sends: a name-only To, a non-ASCII templated subject, HTML + text, a junk header. */
const MESSAGE = {
  toName: 'Jane Doe',
  rcpt: 'jane@example.org',
  subject: 'Grüße, {{ name }} – your order',
  text: 'Hello {{ name }}, your order has shipped.',
  html: '<p>Hello <b>{{ name }}</b>, your order has shipped. Grüße!</p>',
  headers: { 'X-Transactional-Variables': '{"name":"Jane"}', 'X-Junk-Header': 'must not leak' },
};

/** What the file route must write for every client. */
const EXPECTED = {
  to: 'To: Jane Doe <jane@example.org>',
  subject: 'Grüße, Jane – your order',
  html: '<p>Hello <b>Jane</b>, your order has shipped. Grüße!</p>',
  // Everything else a client or the message brought (X-Mailer, User-Agent, Received, X-Auth-APIKey, X-Junk-Header,
  // the X-Transactional-* headers, the text alternative's MIME headers) is dropped.
  headerNames: ['content-transfer-encoding', 'content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to'],
};

const CLIENT_TIMEOUT_MS = 30_000;
const PHPMAILER_AUTOLOAD = '/usr/share/php/libphp-phpmailer/autoload.php';
const SMTPLIB_SCRIPT = resolve('test/clients/smtplib-send.py');
const PHPMAILER_SCRIPT = resolve('test/clients/phpmailer-send.php');

interface ClientRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client process (never blocking the event loop), feeding `input` on stdin; killed after a timeout. */
function run(cmd: string, args: string[], input?: string): Promise<ClientRun> {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => (stderr += `\n${err.message}`));
    if (input !== undefined) child.stdin!.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, stdout, stderr: stderr + (status === null ? `\n(killed after ${CLIENT_TIMEOUT_MS} ms)` : '') });
    });
  });
}

/** RFC 2047 B encoding of a header text, as a mail script writes a non-ASCII subject. */
function encodedWord(text: string): string {
  return `=?utf-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** The message as a file with LF line endings, as scripts and cron jobs write it. */
function rawMessage(fromAddress: string, apiKey: string | null): string {
  return [
    `From: Shop <${fromAddress}>`,
    `To: ${MESSAGE.toName}`,
    `Subject: ${encodedWord(MESSAGE.subject)}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${fromAddress.replace('@', '.')}.${Date.now()}@client.example>`,
    'MIME-Version: 1.0',
    ...Object.entries(MESSAGE.headers).map(([k, v]) => `${k}: ${v}`),
    'X-Mailer: cron-report 1.0',
    ...(apiKey === null ? [] : [`X-Auth-APIKey: ${apiKey}`]),
    'Content-Type: multipart/alternative; boundary="=_alt_1"',
    '',
    'This is a multi-part message in MIME format.',
    '',
    '--=_alt_1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    MESSAGE.text,
    '',
    '--=_alt_1',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    MESSAGE.html,
    '',
    '--=_alt_1--',
    '',
  ].join('\n');
}

/** The relay and what a client needs to reach it. */
interface Target {
  port: number;
  key: string;
  /** The relay's self-signed certificate (it names 127.0.0.1), for clients that verify. */
  cafile: string;
  /** A folder for this run's message and configuration files. */
  work: string;
}

type AuthMode = 'auth' | 'header';

interface ClientCase {
  /** Short name, unique per auth mode: the From address is shop+<id>-<mode>@example.com. */
  id: string;
  /** Client and variant, as the test title shows it. */
  client: string;
  mode: AuthMode;
  skip: string | false;
  /** Sends the message with MAIL FROM and From = `from`. */
  send(target: Target, from: string): Promise<ClientRun>;
}

async function messageFile(target: Target, from: string, mode: AuthMode): Promise<string> {
  const path = join(target.work, `${from}.eml`);
  await writeFile(path, rawMessage(from, mode === 'header' ? target.key : null));
  return path;
}

function curlCase(mode: AuthMode, crlf: boolean): ClientCase {
  return {
    id: crlf ? 'curl-crlf' : 'curl-lf',
    client: `curl ${crlf ? '--crlf' : '(LF file, no --crlf)'}`,
    mode,
    skip: needTool('curl'),
    async send(target, from) {
      const file = await messageFile(target, from, mode);
      return run('curl', [
        '-sS', '-v', '--max-time', '20',
        '--url', `smtp://127.0.0.1:${target.port}`,
        ...(mode === 'auth' ? ['--ssl-reqd', '--cacert', target.cafile, '--user', `app:${target.key}`] : []),
        '--mail-from', from, '--mail-rcpt', MESSAGE.rcpt,
        ...(crlf ? ['--crlf'] : []),
        '--upload-file', file,
      ]);
    },
  };
}

function smtplibCase(mode: AuthMode, method: 'send_message' | 'sendmail'): ClientCase {
  return {
    id: method === 'send_message' ? 'smtplib-send-message' : 'smtplib-sendmail-lf',
    client: method === 'send_message' ? 'Python smtplib send_message (EmailMessage)' : 'Python smtplib sendmail (LF bytes)',
    mode,
    skip: needTool('python3'),
    async send(target, from) {
      const params = {
        host: '127.0.0.1', port: target.port, auth: mode === 'auth', key: target.key, cafile: target.cafile, method,
        envelope_from: from, rcpt: MESSAGE.rcpt, from_header: `Shop <${from}>`,
        message: { ...MESSAGE, headers: { ...MESSAGE.headers, ...(mode === 'header' ? { 'X-Auth-APIKey': target.key } : {}) } },
        raw_file: method === 'sendmail' ? await messageFile(target, from, mode) : null,
      };
      return run('python3', [SMTPLIB_SCRIPT, JSON.stringify(params)]);
    },
  };
}

function swaksCase(mode: AuthMode): ClientCase {
  return {
    id: 'swaks',
    client: 'swaks --data @file',
    mode,
    skip: needTool('swaks'),
    async send(target, from) {
      const file = await messageFile(target, from, mode);
      return run('swaks', [
        '--server', '127.0.0.1', '--port', String(target.port), '--timeout', '20',
        ...(mode === 'auth' ? ['--tls', '--auth', 'PLAIN', '--auth-user', 'app', '--auth-password', target.key] : []),
        '--from', from, '--to', MESSAGE.rcpt, '--data', `@${file}`,
      ]);
    },
  };
}

function nodemailerCase(mode: AuthMode): ClientCase {
  return {
    id: 'nodemailer',
    client: 'nodemailer',
    mode,
    skip: false,
    async send(target, from) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: target.port,
        secure: false,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
        ...(mode === 'auth'
          ? { requireTLS: true, tls: { ca: await readFile(target.cafile, 'utf8') }, auth: { user: 'app', pass: target.key } }
          : { ignoreTLS: true }),
      });
      try {
        // nodemailer writes no To without an address, so the name travels as `Jane Doe <jane@example.org>`.
        const info = await transport.sendMail({
          from: { name: 'Shop', address: from },
          to: { name: MESSAGE.toName, address: MESSAGE.rcpt },
          subject: MESSAGE.subject,
          text: MESSAGE.text,
          html: MESSAGE.html,
          headers: { ...MESSAGE.headers, ...(mode === 'header' ? { 'X-Auth-APIKey': target.key } : {}) },
        });
        return { status: 0, stdout: info.response, stderr: '' };
      } catch (err) {
        return { status: 1, stdout: '', stderr: (err as Error).message };
      } finally {
        transport.close();
      }
    },
  };
}

function phpMailerCase(mode: AuthMode): ClientCase {
  return {
    id: 'phpmailer',
    client: 'PHPMailer (wp_mail)',
    mode,
    skip: needTool('php', 'phpmailer'),
    send(target, from) {
      // PHPMailer refuses a recipient without an address, so its To is `Jane Doe <jane@example.org>`.
      const params = { host: '127.0.0.1', port: target.port, auth: mode === 'auth', key: target.key, cafile: target.cafile, envelope_from: from, rcpt: MESSAGE.rcpt, message: MESSAGE };
      return run('php', [PHPMAILER_SCRIPT, JSON.stringify(params)]);
    },
  };
}

function msmtpCase(mode: AuthMode): ClientCase {
  return {
    id: 'msmtp',
    client: 'msmtp (LF message on stdin, recipient argument)',
    mode,
    skip: needTool('msmtp'),
    async send(target, from) {
      const config = join(target.work, `${from}.msmtprc`);
      const lines = [
        'defaults',
        'tls on',
        'tls_starttls on',
        `tls_trust_file ${target.cafile}`,
        'timeout 20',
        'account relay',
        'host 127.0.0.1',
        `port ${target.port}`,
        `from ${from}`,
        ...(mode === 'auth' ? ['auth on', 'user app', `password ${target.key}`] : ['auth off']),
        'account default : relay',
        '',
      ];
      // msmtp refuses a configuration with a password that others can read.
      await writeFile(config, lines.join('\n'), { mode: 0o600 });
      return run('msmtp', ['-C', config, MESSAGE.rcpt], rawMessage(from, mode === 'header' ? target.key : null));
    },
  };
}

const CASES: ClientCase[] = (['auth', 'header'] as const).flatMap((mode) => [
  curlCase(mode, true),
  curlCase(mode, false),
  smtplibCase(mode, 'send_message'),
  smtplibCase(mode, 'sendmail'),
  swaksCase(mode),
  nodemailerCase(mode),
  phpMailerCase(mode),
  msmtpCase(mode),
]);

/** The outbox's .eml files by From address, read as they appear. */
class OutboxByFrom {
  private readonly seen = new Map<string, string>();
  private readonly read = new Set<string>();
  constructor(private readonly folder: string) {}

  async waitFor(from: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.seen.get(from);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) throw new Error(`no message from ${from} in ${this.folder} after ${timeoutMs} ms (from: ${[...this.seen.keys()].join(', ')})`);
      let names: string[] = [];
      try {
        names = (await readdir(this.folder)).filter((n) => n.endsWith('.eml') && !this.read.has(n));
      } catch {
        /* not created yet */
      }
      for (const name of names) {
        this.read.add(name);
        const eml = await readFile(join(this.folder, name), 'utf8');
        const fromLine = headerLines(eml).find((l) => l.startsWith('From:'));
        const address = fromLine === undefined ? undefined : /<([^>]+)>/.exec(fromLine)?.[1];
        if (address !== undefined) this.seen.set(address, eml);
      }
      if (names.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Header lines of a message, unfolded. */
function headerLines(eml: string): string[] {
  const head = eml.slice(0, eml.indexOf('\r\n\r\n'));
  return head.replace(/\r\n[ \t]/g, ' ').split('\r\n');
}

const AUTH_MODE_TITLE: Record<AuthMode, string> = { auth: 'STARTTLS + AUTH', header: 'X-Auth-APIKey header' };

describe('one templated message through each real client', { concurrency: 4 }, () => {
  let relay: RelayCli;
  let target: Target;
  let outbox: OutboxByFrom;
  before(async () => {
    relay = await startRelayCli();
    const port = Number((await relay.waitForStdout(/"port":(\d+),"host":"[^"]*","msg":"listening"/, 'listening line'))[1]);
    target = { port, key: await relay.demoKey(), cafile: join(relay.dataDir, 'tls', 'cert.pem'), work: await mkdtemp(join(tmpdir(), 'txrelay-clients-')) };
    outbox = new OutboxByFrom(join(relay.dataDir, 'outbox'));
  });
  after(async () => {
    const code = await relay.stop();
    await removeDir(relay.dataDir);
    await removeDir(target.work);
    assert.equal(code, 0, `the relay did not stop cleanly:\n${relay.stderr()}`);
  });

  for (const c of CASES) {
    test(`${c.client}, ${AUTH_MODE_TITLE[c.mode]}`, { skip: c.skip }, async () => {
      const from = `shop+${c.id}-${c.mode}@example.com`;
      const r = await c.send(target, from);
      assert.equal(r.status, 0, `${c.client} failed (exit ${r.status}):\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`);
      const eml = await outbox.waitFor(from);
      const lines = headerLines(eml);
      const names = [...new Set(lines.map((l) => l.slice(0, l.indexOf(':')).toLowerCase()))].sort();
      assert.deepEqual(names, EXPECTED.headerNames, `outbound headers:\n${lines.join('\n')}`);
      const mail = await simpleParser(eml);
      assert.equal(mail.subject, EXPECTED.subject);
      assert.deepEqual(mail.from?.value.map((a) => [a.name, a.address]), [['Shop', from]]);
      assert.equal(mail.attachments.length, 0);
      assert.ok(typeof mail.html === 'string' && mail.html.includes(EXPECTED.html), `outbound HTML: ${String(mail.html)}`);
      assert.match(mail.headers.get('content-type') === undefined ? '' : String((mail.headers.get('content-type') as { value: string }).value), /^text\/html$/);
      // Last, so that every other check has passed when only the name pairing is wrong.
      assert.ok(lines.includes(EXPECTED.to), `outbound To: ${lines.filter((l) => /^to:/i.test(l)).join(' | ')} (expected "${EXPECTED.to}")`);
    });
  }
});
