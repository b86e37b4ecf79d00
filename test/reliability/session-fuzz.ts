// Wire-level fuzzing of a whole SMTP session against the full relay: random sequences of commands, DATA and BDAT
// bodies, bare CR/LF, long lines and AUTH exchanges, cut into random chunks. The relay must answer with well-formed
// replies only, never throw (an uncaught exception fails the run), and end every session within a time bound.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KEY_A, startTestRelay } from '../relay/relay-harness.js';
import { RawClient } from './raw-client.js';

const plain = Buffer.from(`\0u\0${KEY_A}`).toString('base64');
const html = `From: A <a@example.com>\r\nSubject: fuzz\r\nX-Auth-APIKey: ${KEY_A}\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n`;

const fragment = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(
    'EHLO fuzz.example\r\n', 'HELO x\r\n', 'MAIL FROM:<a@example.com>\r\n', 'MAIL FROM:<> SIZE=100 BODY=8BITMIME SMTPUTF8\r\n',
    'MAIL FROM:<a@example.com> SIZE=999999999999\r\n', 'RCPT TO:<b@example.net>\r\n', 'RCPT TO:<\u00e9@example.net>\r\n', 'RCPT TO:<@x,@y:b@example.net>\r\n',
    'DATA\r\n', `DATA\r\n${html}.\r\n`, html, '.\r\n', '\r\n', 'RSET\r\n', 'NOOP\r\n', 'VRFY x\r\n', 'HELP\r\n', 'QUIT\r\n',
    'BDAT 10\r\n0123456789', 'BDAT 0 LAST\r\n', `BDAT ${Buffer.byteLength(html)} LAST\r\n${html}`, 'BDAT x\r\n', 'BDAT 5\r\n',
    `AUTH PLAIN ${plain}\r\n`, 'AUTH PLAIN\r\n', `${plain}\r\n`, 'AUTH LOGIN\r\n', 'dXNlcg==\r\n', '*\r\n', 'AUTH XOAUTH2\r\n',
    'STARTTLS\r\n', 'GET / HTTP/1.1\r\n', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n', '\r', '\n', '.', '..\r\n', 'X-Transactional-Template: nope\r\n',
    'X-Transactional-Variables: {"a":\r\n', 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n', '\u0000\r\n', '\u00ff\u00fe\r\n',
  ) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => 'X'.repeat(n) + '\r\n') },
);

/** A well-formed reply line: code, separator, and for 2xx/4xx/5xx an enhanced status code (the greeting aside). */
function checkReplies(text: string): void {
  const lines = text.split('\r\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let multiline = false;
  for (const line of lines) {
    assert.match(line, /^[2345]\d\d[ -]/, `malformed reply line ${JSON.stringify(line.slice(0, 120))}`);
    // The greeting and the HELO/EHLO replies carry no enhanced code (RFC 2034 §3, as Postfix); every other reply does.
    const single = !multiline;
    multiline = line[3] === '-';
    if (single && /^[245]\d\d /.test(line) && !/^220 \S+ ESMTP/.test(line) && !/^250 relay\.test( |$)/.test(line)) {
      assert.match(line, /^[245]\d\d [245]\.\d{1,3}\.\d{1,3} /, `reply without enhanced status code: ${JSON.stringify(line.slice(0, 120))}`);
    }
  }
}

export interface SessionFuzzFigures {
  cases: number;
  maxSessionMs: number;
  replies: number;
}

export async function runSessionFuzz(numRuns: number, seed?: number): Promise<SessionFuzzFigures> {
  const t = await startTestRelay((json) => {
    json['limits'] = { maxConnectionsPerAddress: 1000, authFailureDelayMs: 0, maxAuthFailuresPerAddressPerMinute: 1_000_000, commandTimeoutMs: 5000 };
  });
  const figures: SessionFuzzFigures = { cases: 0, maxSessionMs: 0, replies: 0 };
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fragment, { minLength: 1, maxLength: 25 }), fc.array(fc.nat(), { maxLength: 6 }), async (parts, cuts) => {
        const input = Buffer.from(parts.join(''), 'latin1');
        const c = new RawClient(t.port);
        const t0 = Date.now();
        try {
          await c.waitFor(/^220 /m, 5000);
          const points = [...new Set(cuts.map((x) => x % (input.length + 1)))].sort((a, b) => a - b);
          let prev = 0;
          for (const p of [...points, input.length]) {
            c.write(input.subarray(prev, p));
            prev = p;
            await new Promise((r) => setImmediate(r));
          }
          // Bring the session to an end whatever state it is in: finish a DATA, then QUIT; or be closed by the relay.
          c.write('\r\n.\r\nQUIT\r\n');
          await c.until(() => c.isClosed || /^221 /m.test(c.text), 'end of session', 15_000);
          checkReplies(c.text);
          figures.replies += c.replyCount;
        } finally {
          c.destroy();
          figures.cases++;
          figures.maxSessionMs = Math.max(figures.maxSessionMs, Date.now() - t0);
        }
      }),
      { numRuns, ...(seed !== undefined ? { seed } : {}) },
    );
  } finally {
    await t.stop();
  }
  return figures;
}
