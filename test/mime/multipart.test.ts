import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessageSync } from '../../src/mime/index.js';

const parse = (s: string) => parseMessageSync(Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8'));

test('treats a message without Content-Type as text/plain (RFC 2045 §5.2)', () => {
  const m = parse('Subject: x\n\n<p>not html</p>\n');
  assert.equal(m.html, null);
  assert.equal(m.text, '<p>not html</p>\r\n');
  assert.deepEqual(m.dropped, [{ type: 'text/plain', disposition: null, filename: null, size: 17 }]);
});

test('picks the HTML alternative and drops the text/plain one', () => {
  const m = parse(
    'Content-Type: multipart/alternative; boundary=alt\n\npreamble\n--alt\nContent-Type: text/plain\n\nplain\n--alt\n' +
      'Content-Type: text/html; charset=utf-8\n\n<b>html</b>\n--alt--\nepilogue\n',
  );
  assert.equal(m.html, '<b>html</b>');
  assert.equal(m.text, null);
  assert.deepEqual(m.dropped, [{ type: 'text/plain', disposition: null, filename: null, size: 5 }]);
});

test('selects a TEXT/HTML body whose Content-Type, charset and transfer encoding carry comments', () => {
  const m = parse(
    'Content-Type: Multipart/Alternative (two parts); (why) boundary="alt" (end)\n\n--alt\nContent-Type: text/plain\n\nplain\n--alt\n' +
      'Content-Type: TEXT/HTML (comment); charset=(label) KOI8-R (Russian)\nContent-Transfer-Encoding: Base64 (see RFC 2045)\n\n8NLJ18XU\n--alt--\n',
  );
  assert.equal(m.html, 'Привет');
  assert.deepEqual(m.dropped, [{ type: 'text/plain', disposition: null, filename: null, size: 5 }]);
});

test('never takes a part whose disposition is "attachment (comment)" as the body', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/html\nContent-Disposition: ATTACHMENT (really); filename="a.html"\n\n<p>a</p>\n' +
      '--m\nContent-Type: text/html (the body)\n\n<p>body</p>\n--m--\n',
  );
  assert.equal(m.html, '<p>body</p>');
  assert.deepEqual(m.dropped, [{ type: 'text/html', disposition: 'attachment', filename: 'a.html', size: 8 }]);
});

test('picks the start part of multipart/related, else its first part', () => {
  const related = (start: string) =>
    parse(
      `Content-Type: multipart/related; boundary=r${start}\n\n--r\nContent-Type: text/html\nContent-ID: <one@x>\n\n<p>one</p>\n` +
        '--r\nContent-Type: text/html\nContent-ID: <two@x>\n\n<p>two</p>\n--r\nContent-Type: image/png\nContent-ID: <img@x>\n\nPNG\n--r--\n',
    );
  assert.equal(related('').html, '<p>one</p>');
  assert.equal(related('; start="<two@x>"').html, '<p>two</p>');
  assert.equal(related('; start="<missing@x>"').html, '<p>one</p>');
  assert.deepEqual(
    related('; start="<two@x>"').dropped.map((d) => d.type),
    ['text/html', 'image/png'],
  );
});

test('takes the first inline HTML part of multipart/mixed and lists later ones as dropped', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nintro\n--m\nContent-Type: text/html\n\n<p>first</p>\n' +
      '--m\nContent-Type: text/html\nContent-Disposition: inline\n\n<p>second</p>\n--m--\n',
  );
  assert.equal(m.html, '<p>first</p>');
  assert.deepEqual(m.dropped.map((d) => d.type), ['text/plain', 'text/html']);
});

test('never takes a part with Content-Disposition: attachment as the body', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/html\nContent-Disposition: attachment; filename="page.html"\n\n<p>attached</p>\n' +
      '--m\nContent-Type: text/html\n\n<p>body</p>\n--m--\n',
  );
  assert.equal(m.html, '<p>body</p>');
  assert.deepEqual(m.dropped, [{ type: 'text/html', disposition: 'attachment', filename: 'page.html', size: 15 }]);
});

test('does not descend into message/rfc822 parts for the body; lists them as one dropped part', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: message/rfc822\n\nContent-Type: text/html\n\n<p>forwarded</p>\n' +
      '--m\nContent-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--m--\n',
  );
  assert.equal(m.html, null);
  assert.deepEqual(m.dropped, [
    { type: 'message/rfc822', disposition: null, filename: null, size: 43 },
    { type: 'application/pdf', disposition: null, filename: 'a.pdf', size: 8 },
  ]);
});

test('handles nested alternative inside related inside mixed', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: multipart/related; boundary=r\n\n' +
      '--r\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nt\n--a\nContent-Type: text/html\n\n<img src="cid:i">\n--a--\n' +
      '--r\nContent-Type: image/gif\nContent-ID: <i>\nContent-Disposition: inline\n\nGIF\n--r--\n' +
      '--m\nContent-Type: application/zip\nContent-Disposition: attachment; filename=x.zip\n\nZIP\n--m--\n',
  );
  assert.equal(m.html, '<img src="cid:i">');
  assert.deepEqual(m.dropped.map((d) => d.type), ['text/plain', 'image/gif', 'application/zip']);
});

test('closes inner parts at an outer delimiter when the inner close delimiter is missing', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n' +
      '--inner\nContent-Type: text/plain\n\nplain\n--inner\nContent-Type: text/html\n\n<p>html</p>\n' +
      '--outer\nContent-Type: image/png\n\nPNG\n--outer--\n',
  );
  assert.equal(m.html, '<p>html</p>');
  assert.deepEqual(m.dropped.map((d) => d.type), ['text/plain', 'image/png']);
});

test('ends the last part at end of input when the close delimiter is missing', () => {
  const m = parse('Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/html\n\n<p>cut</p>\n');
  assert.equal(m.html, '<p>cut</p>\r\n');
});

test('accepts trailing whitespace on delimiter lines and bare LF line ends', () => {
  const m = parseMessageSync(
    Buffer.from('Content-Type: multipart/alternative; boundary="a b"\n\n--a b \t\nContent-Type: text/html\n\n<p>x</p>\n--a b--  \n'),
  );
  assert.equal(m.html, '<p>x</p>');
});

test('does not take a longer line that starts with the delimiter for a delimiter', () => {
  const m = parse('Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/html\n\n--ab\n--a-\n<p>x</p>\n--a--\n');
  assert.equal(m.html, '--ab\r\n--a-\r\n<p>x</p>');
});

test('checks the innermost boundary first when one boundary is a prefix of another', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=ab\n\n--ab\nContent-Type: multipart/alternative; boundary=a\n\n' +
      '--a\nContent-Type: text/plain\n\nt\n--a\nContent-Type: text/html\n\n<p>in</p>\n--a--\n--ab\nContent-Type: image/png\n\nP\n--ab--\n',
  );
  assert.equal(m.html, '<p>in</p>');
  assert.deepEqual(m.dropped.map((d) => d.type), ['text/plain', 'image/png']);
});

test('takes a part without the empty line after its headers as having an empty body', () => {
  const m = parse(
    'Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: image/png\n--m\nContent-Type: text/html\n\n<p>ok</p>\n--m--\n',
  );
  assert.equal(m.html, '<p>ok</p>');
  assert.deepEqual(m.dropped, [{ type: 'image/png', disposition: null, filename: null, size: 0 }]);
});

test('returns the plain text body when there is no HTML part, and no text when there is HTML', () => {
  const m = parse('Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain; charset=utf-8\n\nhello\n--m--\n');
  assert.equal(m.html, null);
  assert.equal(m.text, 'hello');
});

test('counts the raw transmitted size of dropped parts without decoding them', () => {
  const b64 = 'QUJD\nREVG\n';
  const m = parse(`Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${b64}--m--\n`);
  assert.deepEqual(m.dropped, [{ type: 'application/octet-stream', disposition: null, filename: null, size: 10 }]);
});

test('skips an mbox "From " line before the headers', () => {
  const m = parse('From sender@x.test Thu Nov 26 04:00:00 2026\nSubject: s\nContent-Type: text/html\n\n<p>x</p>');
  assert.equal(m.headers.subject, 's');
  assert.equal(m.html, '<p>x</p>');
});
