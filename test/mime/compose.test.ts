import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import PostalMime from 'postal-mime';
import { composeMessage, ComposeError, encodeHtml, parseMessageSync, type ComposeInput } from '../../src/mime/index.js';
import { encodedWords } from '../../src/mime/header-encoding.js';
import { base64Length, quotedPrintable } from '../../src/mime/body-encoding.js';
import { lf } from './corpus-files.js';

const base: ComposeInput = {
  from: { name: 'Sender', address: 'sender@example.com' },
  to: { name: 'Rcpt', address: 'rcpt@example.org' },
  subject: 'Hello',
  html: '<p>Hello</p>',
  date: new Date(Date.UTC(2026, 10, 26, 4, 5, 6)),
  messageId: 'fixed@relay.test',
};

function lines(msg: Buffer): string[] {
  const s = msg.toString('latin1');
  assert.ok(s.endsWith('\r\n'), 'ends with CRLF');
  assert.doesNotMatch(s.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
  return s.slice(0, -2).split('\r\n');
}

test('writes the required headers in order with CRLF line ends', () => {
  const msg = composeMessage({ ...base, replyTo: { name: null, address: 'reply@example.com' } }).toString('utf8');
  assert.equal(
    msg,
    'From: Sender <sender@example.com>\r\nTo: Rcpt <rcpt@example.org>\r\nReply-To: <reply@example.com>\r\nSubject: Hello\r\n' +
      'Date: Thu, 26 Nov 2026 04:05:06 +0000\r\nMessage-ID: <fixed@relay.test>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Hello</p>=\r\n',
  );
});

test('generates a random Message-ID on the given hostname', () => {
  const a = composeMessage({ ...base, messageId: undefined, hostname: 'mx.example' }).toString();
  const b = composeMessage({ ...base, messageId: undefined, hostname: 'mx.example' }).toString();
  const idA = /Message-ID: <([^>]+)>/.exec(a)![1]!;
  assert.match(idA, /^[0-9a-f-]{36}@mx\.example$/);
  assert.notEqual(idA, /Message-ID: <([^>]+)>/.exec(b)![1]);
});

test('quotes display names with specials and encodes non-ASCII ones', () => {
  const msg = composeMessage({ ...base, from: { name: 'Doe, John "JD"', address: 'j@x.test' }, to: { name: 'Zoë', address: 'z@x.test' } }).toString();
  assert.match(msg, /^From: "Doe, John \\"JD\\"" <j@x\.test>\r\n/);
  assert.match(msg, /\r\nTo: =\?utf-8\?B\?Wm/);
});

test('chooses base64 when it is smaller than quoted-printable', () => {
  assert.match(composeMessage({ ...base, html: 'ж'.repeat(400) }).toString(), /Content-Transfer-Encoding: base64/);
  assert.match(composeMessage({ ...base, html: '<p>' + 'plain '.repeat(100) + '</p>' }).toString(), /Content-Transfer-Encoding: quoted-printable/);
});

test('quoted-printable starts no line with ".", and with a size limit gives up (null) exactly when the full encoding is larger', () => {
  // Escapes first, then long runs of line breaks and spaces: growth the encoder checks at every line, not every byte.
  const piece = fc.oneof(fc.constant(Buffer.from('\r\n')), fc.constant(Buffer.from(' ')), fc.constant(Buffer.from('=')), fc.constant(Buffer.from('.')), fc.constant(Buffer.from('x'.repeat(37))), fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)));
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 200 }), fc.option(fc.nat(4000), { nil: undefined }), (pieces, given) => {
      const bytes = Buffer.concat(pieces);
      const limit = given ?? base64Length(bytes.length);
      const full = quotedPrintable(bytes);
      assert.ok(!/(^|\r\n)\./.test(full.toString('latin1')), 'no line starts with "." (no dot-stuffing needed)');
      const limited = quotedPrintable(bytes, limit);
      if (full.length > limit) assert.equal(limited, null);
      else assert.deepEqual(limited, full);
    }),
    { numRuns: 500 },
  );
});

test('splits encoded words at 75 characters on character boundaries, never inside a UTF-8 sequence', () => {
  const text = '€😀a'.repeat(40);
  const words = encodedWords(text);
  let joined = '';
  for (const w of words) {
    assert.ok(w.length <= 75, `${w.length} > 75`);
    const b64 = w.slice('=?utf-8?B?'.length, -2);
    const bytes = Buffer.from(b64, 'base64');
    assert.equal(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes), true, 'each word is whole UTF-8');
    joined += bytes.toString('utf8');
  }
  assert.equal(joined, text);
});

test('keeps every line within 998 octets and folds headers at 78 where words allow', () => {
  const msg = composeMessage({
    ...base,
    subject: 'word '.repeat(300).trim(),
    from: { name: 'n'.repeat(2000), address: 'a@x.test' },
    html: 'x'.repeat(5000),
  });
  for (const l of lines(msg)) assert.ok(Buffer.byteLength(l, 'latin1') <= 998, `line of ${l.length}`);
  const subjectLines = msg.toString().split('\r\n\r\n')[0]!.split('\r\n').filter((l) => l.startsWith('Subject:') || l.startsWith(' word'));
  for (const l of subjectLines) assert.ok(l.length <= 78, l);
});

test('refuses only what cannot be written at all, naming the field: a line break, no domain, a bad domain', () => {
  assert.throws(() => composeMessage({ ...base, to: { address: 'a@x\r\nBcc: evil@x' } }), (e: unknown) => e instanceof ComposeError && e.field === 'to' && /control character or line break/.test(e.message));
  assert.throws(() => composeMessage({ ...base, from: { address: 'nodomain' } }), (e: unknown) => e instanceof ComposeError && e.field === 'from' && /no "@domain"/.test(e.message));
  assert.throws(() => composeMessage({ ...base, replyTo: { address: 'a@exa mple.com' } }), (e: unknown) => e instanceof ComposeError && e.field === 'replyTo');
  assert.throws(() => composeMessage({ ...base, to: { address: 'a@<x>' } }), (e: unknown) => e instanceof ComposeError && e.field === 'to');
});

test('re-quotes a local part that is not a dot-atom (RFC 5322 quoted-string), and mailparser reads the address back', async () => {
  const cases: [string, string][] = [
    ['"a b"@example.com', '"a b"@example.com'],
    ['a b@example.com', '"a b"@example.com'],
    ['a>b@x.example', '"a>b"@x.example'],
    ['"quote\\"d"@example.com', '"quote\\"d"@example.com'],
    ['.dot@example.com', '".dot"@example.com'],
    ['"plain"@example.com', 'plain@example.com'],
  ];
  const { simpleParser } = await import('mailparser');
  for (const [input, written] of cases) {
    const raw = composeMessage({ ...base, to: { name: 'Jane', address: input } }).toString();
    assert.match(raw, new RegExp(`^To: Jane <${written.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}>\r$`, 'm'), input);
    const mail = await simpleParser(Buffer.from(raw));
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    assert.equal(to?.value[0]?.name, 'Jane', input);
  }
});

// Readers trim and collapse header whitespace and drop control characters; generated text avoids what they rewrite.
const headerText = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 120 })
  .map((s) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\s]+/g, ' ').trim())
  .filter((s) => s !== '');
const htmlText = fc.string({ unit: 'binary', maxLength: 400 }).map((s) => s.replace(/\r/g, '').replace(/\u0000/g, ''));

test('reads back exactly what went in, with mailparser, postal-mime and our parser (property)', async () => {
  await fc.assert(
    fc.asyncProperty(headerText, headerText, headerText, htmlText, async (subject, fromName, toName, html) => {
      const input: ComposeInput = {
        ...base,
        subject,
        html,
        from: { name: fromName, address: 'from@example.com' },
        to: { name: toName, address: 'to@example.org' },
        replyTo: { name: fromName, address: 'reply@example.com' },
      };
      const msg = composeMessage(input);
      for (const l of lines(msg)) assert.ok(l.length <= 998);
      const mp = await simpleParser(msg);
      const pm = await PostalMime.parse(msg);
      const ours = parseMessageSync(msg);
      assert.equal(lf(ours.html), html, 'ours html');
      assert.equal(ours.headers.subject, subject);
      assert.deepEqual(ours.headers.from, { name: fromName, address: 'from@example.com' });
      assert.deepEqual(ours.headers.to, [{ name: toName, address: 'to@example.org' }]);
      assert.equal(mp.subject, subject, 'mailparser subject');
      assert.equal(pm.subject, subject, 'postal-mime subject');
      assert.equal(mp.from?.value[0]?.name, fromName, 'mailparser from name');
      assert.equal(pm.from?.name, fromName, 'postal-mime from name');
      const mpTo = Array.isArray(mp.to) ? mp.to[0] : mp.to;
      assert.equal(mpTo?.value[0]?.name, toName, 'mailparser to name');
      assert.equal(pm.to?.[0]?.name, toName, 'postal-mime to name');
      if (html !== '') {
        assert.equal(lf(mp.html || null), html, 'mailparser html');
        assert.equal(lf(pm.html ?? null), html, 'postal-mime html');
      }
    }),
    { numRuns: 150, seed: 42 },
  );
});

test('folds a long non-ASCII subject into encoded words on lines of at most 78 characters', () => {
  const subject = 'Ünïcödé sübjéct ' + '€'.repeat(80) + ' 😀 end';
  const msg = composeMessage({ ...base, subject });
  const head = msg.toString('utf8').split('\r\n\r\n')[0]!.split('\r\n');
  const at = head.findIndex((l) => l.startsWith('Subject:'));
  let k = at;
  do {
    assert.ok(head[k]!.length <= 78, `${head[k]!.length}: ${head[k]}`);
    k++;
  } while (head[k]!.startsWith(' '));
  assert.ok(k - at > 2, 'folded over several lines');
  assert.equal(parseMessageSync(msg).headers.subject, subject);
});

test('a body encoded once with encodeHtml composes the same bytes as the HTML string itself', () => {
  const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  for (const html of ['<p>é “quotes” €</p>', 'line one\nline two\n', '', '<p>' + 'x'.repeat(3000) + '</p>\r\n', '\u{1F600}'.repeat(200)]) {
    const base = { from: { address: 'a@example.com' }, to: { name: 'Bo', address: 'b@example.net' }, subject: 's', messageId: 'id@h', date };
    assert.deepEqual(composeMessage({ ...base, html: encodeHtml(html) }), composeMessage({ ...base, html }));
  }
});

test('writes extra header fields after Message-ID, folded at spaces within 78 columns, and refuses line breaks', async () => {
  const long = 'https://relay.example/u/' + 'A'.repeat(120);
  const msg = composeMessage({
    ...base,
    extraHeaders: [
      { name: 'List-Unsubscribe', value: `<${long}>, <mailto:unsubscribe@relay.example?subject=unsubscribe>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
  });
  const text = msg.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  assert.match(head, /Message-ID: <fixed@relay\.test>\r\nList-Unsubscribe:/);
  assert.match(head, /,\r\n <mailto:/, 'folded between the two URIs');
  for (const line of lines(msg)) if (!line.includes('A'.repeat(120))) assert.ok(line.length <= 78, line);
  const parsed = await simpleParser(msg);
  // mailparser groups the List-* fields (RFC 2369) under "list".
  const list = parsed.headers.get('list') as { unsubscribe: { url?: string; mail?: string }; 'unsubscribe-post': { name: string } };
  assert.equal(list['unsubscribe-post'].name, 'List-Unsubscribe=One-Click');
  assert.equal(list.unsubscribe.url, long);
  assert.equal(list.unsubscribe.mail, 'unsubscribe@relay.example?subject=unsubscribe');
  assert.throws(() => composeMessage({ ...base, extraHeaders: [{ name: 'X-Bad', value: 'a\r\nBcc: x@y' }] }), ComposeError);
  assert.equal(composeMessage({ ...base, extraHeaders: [] }).equals(composeMessage(base)), true, 'no extra fields: the same bytes');
});
