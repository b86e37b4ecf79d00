// The report parser on hand-written minimal reports of each standard shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseReportSync } from '../../../src/relay/feedback/index.js';

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

function dsn(groups: string, original = 'Message-ID: <q1.1@relay.example>\nTo: a@example.org\nSubject: hi\n'): Buffer {
  return crlf(`From: MAILER-DAEMON@mx.example.net
To: b-q1-1@bounces.shop.example
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.net.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

${groups}
--B
Content-Type: text/rfc822-headers

${original}
--B--
`);
}

test('a DSN with several recipients gives one record each, with status, reply code, reason and hard', () => {
  const records = parseReportSync(
    dsn(`Final-Recipient: rfc822; a@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>: User unknown

Final-Recipient: rfc822; c@example.org
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

Final-Recipient: rfc822; d@example.org
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org
`),
  );
  assert.deepEqual(
    records.map((r) => [r.type, r.recipient, r.status, r.replyCode, r.reason, r.hard, r.messageId]),
    [
      ['bounce', 'a@example.org', '5.1.1', '550', 'userunknown', true, 'q1.1@relay.example'],
      ['bounce', 'c@example.org', '5.2.2', '552', 'mailboxfull', false, 'q1.1@relay.example'],
      ['bounce', 'd@example.org', '5.7.1', '554', 'blocked', false, 'q1.1@relay.example'],
    ],
  );
  assert.equal(records[0]!.diagnostic, '550 5.1.1 <a@example.org>: User unknown');
});

test('a 4.x.x delayed DSN is a soft "delay", never hard', () => {
  const [r] = parseReportSync(
    dsn(`Final-Recipient: rfc822; a@example.org
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 421 4.4.1 Connection timed out
`),
  );
  assert.equal(r!.type, 'delay');
  assert.equal(r!.status, '4.4.1');
  assert.equal(r!.hard, false);
  assert.equal(r!.reason, 'networkerror');
});

test('delivered and relayed DSN recipients give no record', () => {
  assert.deepEqual(parseReportSync(dsn('Final-Recipient: rfc822; a@example.org\nAction: delivered\nStatus: 2.0.0\n')), []);
});

function arf(feedback: string, original: string): Buffer {
  return crlf(`From: feedback@mailbox.example
To: fbl@shop.example
Subject: Abuse report
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
${feedback}
--F
Content-Type: message/rfc822

${original}
body
--F--
`);
}

test('an ARF report with Original-Rcpt-To is a complaint about that recipient', () => {
  const records = parseReportSync(
    arf('Original-Mail-From: <b-q2-1@bounces.shop.example>\nOriginal-Rcpt-To: <user@mailbox.example>\nArrival-Date: Thu, 8 Mar 2005 14:00:00 EDT\n', 'Message-ID: <q2.1@relay.example>\nFrom: shop@shop.example\nTo: someone@else.example\nSubject: sale\n'),
  );
  assert.deepEqual(records, [
    { type: 'complaint', recipient: 'user@mailbox.example', status: null, replyCode: null, diagnostic: 'abuse', hard: false, messageId: 'q2.1@relay.example', reason: 'feedback' },
  ]);
});

test('an ARF report without Original-Rcpt-To takes the recipient from the attached original\'s To', () => {
  const [r] = parseReportSync(arf('', 'Message-ID: <q3.2@relay.example>\nFrom: shop@shop.example\nTo: "A User" <user@mailbox.example>\nSubject: sale\n'));
  assert.equal(r!.type, 'complaint');
  assert.equal(r!.recipient, 'user@mailbox.example');
  assert.equal(r!.messageId, 'q3.2@relay.example');
});

test('a read notice (RFC 8098) is ignored: no record', () => {
  const mdn = crlf(`From: user@mailbox.example
To: shop@shop.example
Subject: Read: sale
Content-Type: multipart/report; report-type=disposition-notification; boundary="M"

--M
Content-Type: text/plain

Your message was displayed.

--M
Content-Type: message/disposition-notification

Final-Recipient: rfc822; user@mailbox.example
Original-Message-ID: <q4.1@relay.example>
Disposition: manual-action/MDN-sent-manually; displayed
--M--
`);
  assert.deepEqual(parseReportSync(mdn), []);
});

test('an RFC 3834 auto-reply is an "autoreply" from the person who answered', () => {
  const reply = crlf(`From: Kim <kim@mailbox.example>
To: shop@shop.example
Subject: Out of Office: sale
Auto-Submitted: auto-replied
In-Reply-To: <q5.1@relay.example>

I am away until Monday.
`);
  const [r] = parseReportSync(reply);
  assert.equal(r!.type, 'autoreply');
  assert.equal(r!.recipient, 'kim@mailbox.example');
  assert.equal(r!.reason, 'vacation');
  assert.equal(r!.hard, false);
});

test('a qmail bounce (no DSN) is recognised by its shape, with the status from its text', () => {
  const qmail = crlf(`From: MAILER-DAEMON@mx.example.net
To: b-q6-1@bounces.shop.example
Subject: failure notice

Hi. This is the qmail-send program at mx.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nobody@example.org>:
192.0.2.1 does not like recipient.
Remote host said: 550 5.1.1 <nobody@example.org>... User unknown
Giving up on 192.0.2.1.

--- Below this line is a copy of the message.

Message-ID: <q6.1@relay.example>
From: shop@shop.example
To: nobody@example.org

hello
`);
  const [r] = parseReportSync(qmail);
  assert.deepEqual([r!.type, r!.recipient, r!.status, r!.replyCode, r!.reason, r!.hard, r!.messageId], ['bounce', 'nobody@example.org', '5.1.1', '550', 'userunknown', true, 'q6.1@relay.example']);
});

test('an ordinary message gives no record', () => {
  assert.deepEqual(parseReportSync(crlf('From: a@example.org\nTo: b@example.org\nSubject: lunch?\n\nSee you at noon.\n')), []);
});

test('"user unknown" is hard at RCPT TO, but a filter\'s verdict (not hard) after DATA or where the report does not say', () => {
  const at = (extra: string) =>
    parseReportSync(dsn(`Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550 User unknown${extra}\n`))[0]!;
  assert.deepEqual([at(' (in reply to RCPT TO command)').reason, at(' (in reply to RCPT TO command)').hard], ['userunknown', true]);
  assert.deepEqual([at(' (in reply to end of DATA command)').reason, at(' (in reply to end of DATA command)').hard], ['filtered', false]);
  assert.deepEqual([at('').reason, at('').hard], ['filtered', false]);
});

test('an X.1.1 summary over a remote reply naming a blocklist is a block, not a bad address', () => {
  const [r] = parseReportSync(dsn('Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.3\nDiagnostic-Code: SMTP; 553 http://www.spamhaus.org/query/bl?ip=192.0.2.1\n'));
  assert.deepEqual([r!.reason, r!.hard], ['blocked', false]);
});

test('MessageLabs\' "542 <address> Rejected" is an unknown recipient; the same words elsewhere are not', () => {
  const report = (mta: string) =>
    parseReportSync(dsn(`Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.0.0\nRemote-MTA: dns; ${mta}\nDiagnostic-Code: smtp; 542 a@example.org Rejected\n`))[0]!;
  assert.deepEqual([report('cluster1.eu.messagelabs.com').reason, report('cluster1.eu.messagelabs.com').hard], ['userunknown', true]);
  assert.equal(report('mx.example.org').hard, false);
});

test('an Exim delivery to a file is reported for the address that generated it', () => {
  const raw = crlf(`From: Mail Delivery System <Mailer-Daemon@q.example.net>
Subject: Mail delivery failed: returning message to sender
Content-Type: multipart/report; report-type=delivery-status; boundary="E"

--E
Content-Type: text/plain

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  save to /var/mail/a
    generated by a@example.org
    mailbox is full: retry timeout exceeded

--E
Content-Type: message/delivery-status

Reporting-MTA: dns; q.example.net

Action: failed
Final-Recipient: rfc822;/var/mail/a
Status: 5.0.0

--E--
`);
  const [r] = parseReportSync(raw);
  assert.deepEqual([r!.recipient, r!.reason, r!.hard], ['a@example.org', 'mailboxfull', false]);
});
