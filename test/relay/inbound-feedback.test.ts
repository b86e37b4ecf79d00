// Bounces and complaints that come back later (issue 16 §2), end to end with real components: the relay sends
// through an smtp route with a returnPath to a real upstream (smtp-server), Python's smtplib mails reports to the
// relay's inbound listener, and the suppression list, the event log and the admin stats show the outcome.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEY_B, removeDir, rawOutbox, sendWithNodemailer, startTestRelay, startUpstream, type TestRelay, type TestUpstream } from './relay-harness.js';
import type { StoredEvent } from '../../src/relay/storage/event-log.js';
import { needTool, requireTool } from '../support/system-tools.js';

const BOUNCE_DOMAIN = 'bounces.shop.example';
const ADMIN_TOKEN = 'admin-token-for-inbound-tests';
const VERP = /^b-([a-z0-9_-]+)-(\d+)-[a-z2-7]{16}@bounces\.shop\.example$/;

/** Mails `message` with smtplib (MAIL FROM:<> like a real bounce) and prints each reply; never raises on a refusal. */
const SMTPLIB_SCRIPT = `
import json, smtplib, sys
port, rcpts, path = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
out = {'rcpt': [], 'data': None}
with smtplib.SMTP('127.0.0.1', port, timeout=20) as s:
    s.ehlo('mx.rcpt.example')
    out['auth'] = s.has_extn('auth')
    s.mail('')
    ok = False
    for r in rcpts:
        code, msg = s.rcpt(r)
        out['rcpt'].append([code, msg.decode()])
        ok = ok or code < 300
    if ok:
        with open(path, 'rb') as f:
            code, msg = s.data(f.read())
        out['data'] = [code, msg.decode()]
    else:
        s.rset()
print(json.dumps(out))
`;

interface SmtplibResult {
  auth: boolean;
  rcpt: [number, string][];
  data: [number, string] | null;
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** An RFC 3464 DSN for one recipient, in the shape of the corpus's Postfix reports. */
function dsn(o: { recipient: string; status: string; action: 'failed' | 'delayed'; diagnostic: string; messageId: string }): string {
  return [
    'From: MAILER-DAEMON@mx.rcpt.example (Mail Delivery System)',
    `To: <bounces@${BOUNCE_DOMAIN}>`,
    'Date: Tue, 10 Mar 2026 08:00:00 +0000',
    `Subject: ${o.action === 'failed' ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)'}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY-1"',
    '',
    'This is a MIME-encapsulated message.',
    '',
    '--BOUNDARY-1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.rcpt.example.',
    '',
    `<${o.recipient}>: ${o.diagnostic}`,
    '',
    '--BOUNDARY-1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.rcpt.example',
    'Arrival-Date: Tue, 10 Mar 2026 07:59:58 +0000',
    '',
    `Final-Recipient: rfc822; ${o.recipient}`,
    `Original-Recipient: rfc822; ${o.recipient}`,
    `Action: ${o.action}`,
    `Status: ${o.status}`,
    'Remote-MTA: dns; mailbox.rcpt.example',
    `Diagnostic-Code: smtp; ${o.diagnostic}`,
    '',
    '--BOUNDARY-1',
    'Content-Type: text/rfc822-headers',
    '',
    'From: shop@shop.example',
    `To: ${o.recipient}`,
    'Subject: Welcome',
    `Message-ID: <${o.messageId}>`,
    '',
    '--BOUNDARY-1--',
    '',
  ].join('\r\n');
}

/** An RFC 5965 ARF complaint, as a feedback loop sends it to its registered address (not the VERP one). */
function arf(o: { recipient: string; messageId: string }): string {
  return [
    'From: feedbackloop@fbl.mailbox.example',
    `To: fbl@${BOUNCE_DOMAIN}`,
    'Date: Tue, 10 Mar 2026 09:30:00 +0000',
    'Subject: Abuse Report',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="ARF-1"',
    '',
    '--ARF-1',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report for a message received from 192.0.2.1.',
    '',
    '--ARF-1',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ExampleFBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: ${o.recipient}`,
    'Source-IP: 192.0.2.1',
    '',
    '--ARF-1',
    'Content-Type: message/rfc822',
    '',
    'From: shop@shop.example',
    `To: ${o.recipient}`,
    'Subject: Welcome',
    `Message-ID: <${o.messageId}>`,
    '',
    'Hello.',
    '',
    '--ARF-1--',
    '',
  ].join('\r\n');
}

describe('VERP return paths and the inbound listener', { skip: needTool('python3'), timeout: 120_000 }, () => {
  let t: TestRelay;
  let up: TestUpstream;
  let queueId = '';
  /** Recipient → the envelope sender its copy left with. */
  const returnPathOf = new Map<string, string>();
  const recipients = ['gone@rcpt.example', 'full@rcpt.example', 'spam@rcpt.example', 'other@rcpt.example'];

  async function sendReport(rcpts: string[], message: string, name: string): Promise<SmtplibResult> {
    const path = join(t.dir, `${name}.eml`);
    await writeFile(path, message);
    const r = await run(requireTool('python3'), ['-c', SMTPLIB_SCRIPT, String(t.relay.inbound!.port), JSON.stringify(rcpts), path]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as SmtplibResult;
  }

  async function eventsOf(type: StoredEvent['type'], recipient: string): Promise<StoredEvent[]> {
    return (await t.relay.events.read({ type, recipient })).events;
  }

  async function waitForEvent(type: StoredEvent['type'], recipient: string): Promise<StoredEvent> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [e] = await eventsOf(type, recipient);
      if (e) return e;
      if (Date.now() > deadline) throw new Error(`no ${type} event for ${recipient}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    up = await startUpstream();
    t = await startTestRelay((json, dir) => {
      json.accounts[0]!['routes'] = { main: { type: 'smtp', host: '127.0.0.1', port: up.port, tls: 'none', returnPath: { domain: BOUNCE_DOMAIN } } };
      json.accounts[1]!['routes'] = { other: { type: 'file', path: join(dir, 'out-other'), returnPath: { domain: BOUNCE_DOMAIN.toUpperCase() } } };
      json['inbound'] = { port: 0, host: '127.0.0.1', domains: [BOUNCE_DOMAIN] };
      json['admin'] = { host: '127.0.0.1', port: 0, token: ADMIN_TOKEN };
    });
  });

  after(async () => {
    await t?.stop();
    await up?.close();
    if (t) await removeDir(t.dir);
  });

  it('sends each recipient\'s copy from its own signed VERP address on the bounce domain', async () => {
    const sent = await sendWithNodemailer(t.port, {
      from: 'shop@shop.example',
      to: recipients,
      subject: 'Welcome',
      html: '<p>Hello</p>',
      headers: { 'X-Transactional-Tag': 'welcome' },
    });
    assert.equal(sent.code, 250, sent.response);
    queueId = /queued as (\S+)/.exec(sent.response)![1]!;
    const deadline = Date.now() + 10_000;
    while (up.received.length < recipients.length) {
      if (Date.now() > deadline) throw new Error(`upstream has ${up.received.length} of ${recipients.length} messages`);
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const m of up.received) {
      const to = m.to[0]!;
      const match = VERP.exec(m.from);
      assert.ok(match, `MAIL FROM of ${to} is a VERP address: ${m.from}`);
      assert.equal(match[1], queueId, 'the queue id, unchanged (the relay\'s ids are lower case already)');
      assert.equal(Number(match[2]), recipients.indexOf(to), 'n is the recipient\'s index');
      assert.ok(m.from.split('@')[0]!.length <= 64, 'within RFC 5321\'s 64 octets');
      returnPathOf.set(to, m.from);
    }
    assert.equal(new Set(returnPathOf.values()).size, recipients.length);
    assert.match(await readFile(join(t.dir, 'verp-secret'), 'utf8'), /^[A-Za-z0-9_-]{43}\n$/, 'the secret was made once in the data folder');
  });

  it('writes the VERP address as Return-Path in a file route\'s copy', async () => {
    const sent = await sendWithNodemailer(t.port, { from: 'shop@shop.example', to: 'x@rcpt.example', subject: 'File', html: '<p>x</p>' }, { key: KEY_B });
    assert.equal(sent.code, 250, sent.response);
    const deadline = Date.now() + 10_000;
    let names: string[] = [];
    while ((names = await rawOutbox(t.outbox('out-other'))).length === 0) {
      if (Date.now() > deadline) throw new Error('no file written');
      await new Promise((r) => setTimeout(r, 25));
    }
    const text = await readFile(join(t.outbox('out-other'), names[0]!), 'latin1');
    assert.match(text, /^Return-Path: <b-[a-z0-9_-]+-0-[a-z2-7]{16}@bounces\.shop\.example>\r\n/);
  });

  it('does not advertise AUTH, and refuses a domain it does not serve with 550 5.7.1', async () => {
    const r = await sendReport(['someone@elsewhere.example'], dsn({ recipient: 'gone@rcpt.example', status: '5.1.1', action: 'failed', diagnostic: '550 5.1.1 no', messageId: `${queueId}.0@relay.test` }), 'other-domain');
    assert.equal(r.auth, false);
    assert.equal(r.rcpt[0]![0], 550);
    assert.match(r.rcpt[0]![1], /^5\.7\.1 /);
    assert.equal(r.data, null);
  });

  it('suppresses a hard bounce (5.1.1) mailed to the VERP address and records it; the next send is suppressed', async () => {
    const report = dsn({
      recipient: 'gone@rcpt.example',
      status: '5.1.1',
      action: 'failed',
      diagnostic: '550 5.1.1 <gone@rcpt.example>: Recipient address rejected: User unknown in virtual mailbox table',
      messageId: `${queueId}.0@relay.test`,
    });
    const r = await sendReport([returnPathOf.get('gone@rcpt.example')!], report, 'hard');
    assert.equal(r.rcpt[0]![0], 250);
    assert.equal(r.data![0], 250, r.data![1]);
    assert.match(r.data![1], /1 recorded/);

    const entry = t.relay.suppression.get('a', 'gone@rcpt.example');
    assert.ok(entry, 'the address is suppressed');
    assert.match(entry.reason, /5\.1\.1/);
    assert.equal(entry.time, Date.parse('2026-03-10T08:00:00Z'), 'with the report\'s time');
    const bounced = await waitForEvent('bounced', 'gone@rcpt.example');
    assert.equal(bounced.status, '5.1.1');
    assert.equal(bounced.hard, true);
    assert.equal(bounced.reason, 'userunknown');
    assert.equal(bounced.id, queueId);
    assert.equal(bounced.tag, 'welcome');
    assert.match(bounced.diagnostic ?? '', /User unknown/);

    const again = await sendWithNodemailer(t.port, { from: 'shop@shop.example', to: 'gone@rcpt.example', subject: 'Again', html: '<p>again</p>' });
    assert.equal(again.code, 250, again.response);
    const suppressed = await waitForEvent('suppressed', 'gone@rcpt.example');
    assert.match(suppressed.reply ?? '', /suppression list/);
  });

  it('records a delay (4.2.2) as a soft bounce without suppressing the address', async () => {
    const report = dsn({ recipient: 'full@rcpt.example', status: '4.2.2', action: 'delayed', diagnostic: '452 4.2.2 Mailbox full', messageId: `${queueId}.1@relay.test` });
    const r = await sendReport([returnPathOf.get('full@rcpt.example')!], report, 'delay');
    assert.equal(r.data![0], 250, r.data![1]);
    const bounced = await waitForEvent('bounced', 'full@rcpt.example');
    assert.equal(bounced.hard, false);
    assert.equal(bounced.status, '4.2.2');
    assert.equal(t.relay.suppression.has('a', 'full@rcpt.example'), false);
  });

  it('turns an ARF complaint sent to the feedback-loop address into a complaint and a suppression (by Message-ID)', async () => {
    const r = await sendReport([`fbl@${BOUNCE_DOMAIN}`], arf({ recipient: 'spam@rcpt.example', messageId: `${queueId}.2@relay.test` }), 'arf');
    assert.equal(r.data![0], 250, r.data![1]);
    const complained = await waitForEvent('complained', 'spam@rcpt.example');
    assert.equal(complained.id, queueId);
    assert.equal(complained.reason, 'feedback');
    assert.ok(t.relay.suppression.has('a', 'spam@rcpt.example'));
  });

  it('refuses a VERP address with a forged signature (550 5.1.1) and suppresses nothing', async () => {
    const real = returnPathOf.get('other@rcpt.example')!;
    const [local, domain] = real.split('@') as [string, string];
    const forged = `${local.slice(0, -1)}${local.endsWith('a') ? 'b' : 'a'}@${domain}`;
    const report = dsn({ recipient: 'other@rcpt.example', status: '5.1.1', action: 'failed', diagnostic: '550 5.1.1 no such user', messageId: `${queueId}.3@relay.test` });
    const r = await sendReport([forged], report, 'forged');
    assert.equal(r.rcpt[0]![0], 550);
    assert.match(r.rcpt[0]![1], /^5\.1\.1 /);
    assert.equal(r.data, null);
    assert.equal(t.relay.suppression.has('a', 'other@rcpt.example'), false);
    assert.deepEqual(await eventsOf('bounced', 'other@rcpt.example'), []);
  });

  it('ignores a report by Message-ID that names another recipient than the message had', async () => {
    const report = dsn({ recipient: 'victim@rcpt.example', status: '5.1.1', action: 'failed', diagnostic: '550 5.1.1 no such user', messageId: `${queueId}.3@relay.test` });
    const r = await sendReport([`postmaster@${BOUNCE_DOMAIN}`], report, 'mismatch');
    assert.equal(r.data![0], 250);
    assert.match(r.data![1], /0 recorded, 1 ignored/);
    assert.equal(t.relay.suppression.has('a', 'victim@rcpt.example'), false);
    assert.equal(t.relay.suppression.has('a', 'other@rcpt.example'), false);
  });

  it('shows bounced (hard and soft) and complained per tag in the admin stats', async () => {
    const res = await fetch(`http://127.0.0.1:${t.relay.admin!.port}/api/stats?account=a&tag=welcome`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { accounts: { tags: { tag: string; totals: Record<string, number>; rates: Record<string, number | null> }[] }[] };
    const welcome = body.accounts[0]!.tags[0]!;
    assert.equal(welcome.tag, 'welcome');
    assert.equal(welcome.totals['delivered'], 4);
    assert.equal(welcome.totals['bounced'], 2);
    assert.equal(welcome.totals['bouncedHard'], 1);
    assert.equal(welcome.totals['bouncedSoft'], 1);
    assert.equal(welcome.totals['complained'], 1);
    assert.deepEqual(welcome.rates, { bounced: 0.5, bouncedHard: 0.25, complained: 0.25, opened: 0, clicked: 0 });
  });
});
