import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessageSync } from '../../src/mime/index.js';
import { decodeEncodedWords } from '../../src/mime/encoded-words.js';
import { parseHeaderValueWithParams, withoutComments } from '../../src/mime/header-params.js';
import { parseAddressList } from '../../src/mime/addresses.js';

const parse = (s: string) => parseMessageSync(Buffer.from(s, 'utf8'));

test('decodes B and Q encoded words in any charset', () => {
  assert.equal(decodeEncodedWords('=?utf-8?B?SMOpbGxv?='), 'Héllo');
  assert.equal(decodeEncodedWords('=?iso-8859-1?Q?Andr=E9_Pirard?='), 'André Pirard');
  assert.equal(decodeEncodedWords('=?KOI8-R?B?8NLJ18XU?='), 'Привет');
  assert.equal(decodeEncodedWords('=?windows-1252?Q?=80_=93q=94?='), '€ “q”');
});

test('drops whitespace between adjacent encoded words and keeps it elsewhere (RFC 2047 §6.2)', () => {
  assert.equal(decodeEncodedWords('=?utf-8?Q?a?= =?utf-8?Q?b?='), 'ab');
  assert.equal(decodeEncodedWords('=?utf-8?Q?a?=\r\n =?utf-8?Q?b?='), 'ab');
  assert.equal(decodeEncodedWords('x =?utf-8?Q?a?= y'), 'x a y');
  assert.equal(decodeEncodedWords('=?utf-8?Q?a?= plain =?utf-8?Q?b?='), 'a plain b');
});

test('decodes a character whose UTF-8 bytes are split across adjacent encoded words', () => {
  // "€" is E2 82 AC; the words split it after the first byte.
  assert.equal(decodeEncodedWords('=?utf-8?Q?=E2?= =?utf-8?Q?=82=AC?='), '€');
  assert.equal(decodeEncodedWords('=?UTF-8?B?4g==?= =?UTF-8?B?gqw=?='), '€');
});

test('joins a UTF-8 character split across a B-encoded and a Q-encoded word', () => {
  assert.equal(decodeEncodedWords('=?utf-8?B?4oI=?= =?utf-8?Q?=AC?='), '€');
  assert.equal(decodeEncodedWords('=?utf-8?Q?=E2?=\r\n\t=?utf-8?B?gqw=?= ok'), '€ ok');
});

test('joins a Shift_JIS character split across two encoded words', () => {
  // "あ" is 82 A0 in Shift_JIS.
  assert.equal(decodeEncodedWords('=?shift_jis?B?gg==?= =?shift_jis?B?oA==?='), 'あ');
  assert.equal(decodeEncodedWords('=?Shift_JIS?Q?=82?= =?shift_jis?Q?=A0?='), 'あ');
});

test('joins words whose charset labels differ only in case or an RFC 2231 language suffix (RFC 2231 §5)', () => {
  assert.equal(decodeEncodedWords('=?UTF-8?Q?=E2?= =?utf-8?Q?=82=AC?='), '€');
  assert.equal(decodeEncodedWords('=?utf-8*en?Q?=E2?= =?UTF-8*EN?B?gqw=?='), '€');
});

test('decodes adjacent words in different charsets each in its own charset', () => {
  assert.equal(decodeEncodedWords('=?iso-8859-1?Q?caf=E9?= =?utf-8?Q?_=E2=82=AC?='), 'café €');
  // The halves of a split character stay broken when the second word names another charset.
  assert.equal(decodeEncodedWords('=?utf-8?Q?=E2?= =?iso-8859-1?Q?=82=AC?='), '\ufffd‚¬');
});

test('does not join encoded words separated by text other than whitespace', () => {
  assert.equal(decodeEncodedWords('=?utf-8?Q?=E2?= - =?utf-8?Q?=82=AC?='), '\ufffd - \ufffd\ufffd');
});

test('leaves malformed encoded words as written', () => {
  assert.equal(decodeEncodedWords('=?utf-8?X?abc?='), '=?utf-8?X?abc?=');
  assert.equal(decodeEncodedWords('=?utf-8?Q?unterminated'), '=?utf-8?Q?unterminated');
  assert.equal(decodeEncodedWords('=?utf-8?B?unterminated'), '=?utf-8?B?unterminated');
  assert.equal(decodeEncodedWords('=?utf-8??abc?='), '=?utf-8??abc?=');
});

test('keeps an encoded word whose text holds a "?" as written (RFC 2047 §2), as Python does', () => {
  assert.equal(decodeEncodedWords('=?utf-8?Q?a?b?= c'), '=?utf-8?Q?a?b?= c');
  assert.equal(decodeEncodedWords('=?utf-8?Q?a?= =?utf-8?Q?b?b?= =?utf-8?Q?c?='), 'a =?utf-8?Q?b?b?= c');
});

test('decodes the words around a malformed one and keeps the whitespace next to it', () => {
  assert.equal(decodeEncodedWords('=?utf-8?Q?a?= =?utf-8?X?b?= =?utf-8?Q?c?='), 'a =?utf-8?X?b?= c');
  assert.equal(decodeEncodedWords('=?utf-8?Q?a?= =?utf-8?Q?unterminated'), 'a =?utf-8?Q?unterminated');
});

test('reads bad base64 in a B word as Python does: stray characters skipped, padding ends it, a short group padded', () => {
  assert.equal(decodeEncodedWords('=?utf-8?B?YW*Jj?='), 'abc');
  assert.equal(decodeEncodedWords('=?utf-8?B?w6-k?='), 'é'); // "-" is not base64 (Buffer.from would read base64url)
  assert.equal(decodeEncodedWords('=?utf-8?B?YW=Jj?='), 'abc'); // a lone "=" inside a group is skipped
  assert.equal(decodeEncodedWords('=?utf-8?B?YQ==YQ==?='), 'a');
  assert.equal(decodeEncodedWords('=?utf-8?B?YWJjZA?='), 'abcd');
  assert.equal(decodeEncodedWords('=?utf-8?B?!!!?='), '');
});

test('keeps the text of a B word that cannot be base64 (one character too many) as written, as Python does', () => {
  assert.equal(decodeEncodedWords('=?utf-8?B?Y?='), 'Y');
  assert.equal(decodeEncodedWords('=?utf-8?B?YWJjZ?= x'), 'YWJjZ x');
  // Still a word: it joins its neighbours, and its text lands between the halves of their character.
  assert.equal(decodeEncodedWords('=?utf-8?B?4g==?= =?utf-8?B?Y?= =?utf-8?B?gqw=?='), '\ufffdY\ufffd\ufffd');
});

test('decodes RFC 2231 continuations with charset and language in filenames', () => {
  const cd = parseHeaderValueWithParams(
    "attachment; filename*0*=utf-8'en'%E2%82%AC%20rate; filename*1*=%20report; filename*2=\".pdf\"",
  );
  assert.equal(cd.value, 'attachment');
  assert.equal(cd.params.get('filename'), '€ rate report.pdf');
  const plain = parseHeaderValueWithParams('text/plain; name*0="long"; name*1="name.txt"');
  assert.equal(plain.params.get('name'), 'longname.txt');
  const sorted = parseHeaderValueWithParams("x/y; n*1=b; n*0*=iso-8859-1''%E9; n*2=c");
  assert.equal(sorted.params.get('n'), 'ébc');
});

test('joins a character split across RFC 2231 extended sections before decoding it', () => {
  // "€" is E2 82 AC; the sections split it after the first byte.
  const cd = parseHeaderValueWithParams("attachment; filename*0*=utf-8''%E2; filename*1*=%82%AC.pdf");
  assert.equal(cd.params.get('filename'), '€.pdf');
});

test('joins RFC 2047 words split across plain RFC 2231 continuations before decoding them', () => {
  const cd = parseHeaderValueWithParams('attachment; filename*0="=?utf-8?B?4g==?="; filename*1=" =?utf-8?B?gqw=?=.pdf"');
  assert.equal(cd.params.get('filename'), '€.pdf');
  const mid = parseHeaderValueWithParams('attachment; filename*0="=?utf-8?Q?caf"; filename*1="=C3=A9?=.pdf"');
  assert.equal(mid.params.get('filename'), 'café.pdf');
});

test('joins a character split across adjacent RFC 2047 words in a quoted parameter value', () => {
  assert.equal(parseHeaderValueWithParams('application/pdf; name="=?utf-8?B?4g==?= =?utf-8?Q?=82=AC?=.pdf"').params.get('name'), '€.pdf');
});

test('decodes RFC 2047 words in quoted parameter values, as senders write them', () => {
  const ct = parseHeaderValueWithParams('application/pdf; name="=?utf-8?B?w6lsw6h2ZS5wZGY=?="');
  assert.equal(ct.params.get('name'), 'élève.pdf');
});

test('reads the media type through comments, nested comments and whitespace, in any case (RFC 5322 §3.2.2)', () => {
  // Each expectation is what Python's header parser (policy.default, msg['content-type'].content_type) reads.
  for (const raw of ['TEXT/HTML (comment)', 'text/html(c)', '(c) text/html', 'Text / Html', 'text(x)/(y)html', 'text/(x (y) z)html', 'text/html ((nested) comment)', 'text/html (a \\) b)', 'text/html (unclosed']) {
    assert.equal(parseHeaderValueWithParams(raw).value, 'text/html', raw);
  }
  assert.equal(parseHeaderValueWithParams('attachment (x); filename="a.pdf"').value, 'attachment');
});

test('reads parameter names and values through comments, a ";" inside a comment included', () => {
  const read = (raw: string) => [...parseHeaderValueWithParams(raw).params];
  assert.deepEqual(read('text/html; charset=utf-8 (comment)'), [['charset', 'utf-8']]);
  assert.deepEqual(read('text/html; charset=(c)"utf-8"'), [['charset', 'utf-8']]);
  assert.deepEqual(read('text/html; charset=(c)utf-8(d)'), [['charset', 'utf-8']]);
  assert.deepEqual(read('text/html; charset (c) = koi8-r'), [['charset', 'koi8-r']]);
  assert.deepEqual(read('text/html (a;b) ; charset=koi8-r'), [['charset', 'koi8-r']]);
  assert.deepEqual(read('text/html; charset="koi8-r" (x); format=flowed'), [['charset', 'koi8-r'], ['format', 'flowed']]);
});

test('keeps parentheses inside quoted parameter values: they are not comments', () => {
  assert.equal(parseHeaderValueWithParams('application/pdf; name="report (final).pdf"').params.get('name'), 'report (final).pdf');
  assert.equal(parseHeaderValueWithParams('attachment (c); filename="a \\"(b)\\" c.pdf"').params.get('filename'), 'a "(b)" c.pdf');
  assert.equal(withoutComments('a "(b)" c'), 'a "(b)" c');
});

test('parses quoted, commented, grouped and encoded display names', () => {
  assert.deepEqual(parseAddressList('"Joe Q. Public" <john@example.com>'), [{ name: 'Joe Q. Public', address: 'john@example.com' }]);
  assert.deepEqual(parseAddressList('Pete(A nice \\) chap) <pete@silly.test>'), [{ name: 'Pete', address: 'pete@silly.test' }]);
  assert.deepEqual(parseAddressList('jdoe@example.org (John Doe)'), [{ name: 'John Doe', address: 'jdoe@example.org' }]);
  assert.deepEqual(parseAddressList('A Group:Ed Jones <c@a.test>,joe@where.test,"Jo" <jo@x.test>;, last@x.test'), [
    { name: 'Ed Jones', address: 'c@a.test' },
    { name: null, address: 'joe@where.test' },
    { name: 'Jo', address: 'jo@x.test' },
    { name: null, address: 'last@x.test' },
  ]);
  assert.deepEqual(parseAddressList('=?utf-8?Q?Zo=C3=AB?= =?utf-8?Q?_M?= <z@x.test>'), [{ name: 'Zoë M', address: 'z@x.test' }]);
  assert.deepEqual(parseAddressList('"=?utf-8?B?w6k=?=" <e@x.test>'), [{ name: 'é', address: 'e@x.test' }]);
  assert.deepEqual(parseAddressList('Undisclosed recipients:;'), []);
});

test('reads an encoded word in a display name as one word even when its text holds "," "(" ":" ";" "<" or a quote, as Python does', () => {
  assert.deepEqual(parseAddressList('=?utf-8?Q?M=C3=BCller,_Hans?= <hm@x.test>, b@x.test'), [
    { name: 'Müller, Hans', address: 'hm@x.test' },
    { name: null, address: 'b@x.test' },
  ]);
  assert.deepEqual(parseAddressList('=?utf-8?Q?John_(Sales)?= <j@x.test>'), [{ name: 'John (Sales)', address: 'j@x.test' }]);
  assert.deepEqual(parseAddressList('=?utf-8?Q?a:b;c?= <a@x.test>'), [{ name: 'a:b;c', address: 'a@x.test' }]);
  assert.deepEqual(parseAddressList('=?utf-8?Q?a<b"c?= <a@x.test>'), [{ name: 'a<b"c', address: 'a@x.test' }]);
});

test('joins a character split across encoded words in display names, quoted, commented or not', () => {
  // Python's policy.default reads these as "\ufffd \ufffd\ufffd": it decodes each word alone in address headers.
  assert.deepEqual(parseAddressList('=?utf-8?B?4g==?= =?utf-8?B?gqw=?= <a@x.test>, =?utf-8?Q?Zo=C3=AB?= <z@x.test>'), [
    { name: '€', address: 'a@x.test' },
    { name: 'Zoë', address: 'z@x.test' },
  ]);
  assert.deepEqual(parseAddressList('"=?utf-8?Q?=E2?=" "=?utf-8?Q?=82=AC?=" <a@x.test>'), [{ name: '€', address: 'a@x.test' }]);
  assert.deepEqual(parseAddressList('a@x.test (=?utf-8?Q?=E2?= =?utf-8?Q?=82=AC?=)'), [{ name: '€', address: 'a@x.test' }]);
});

test('keeps the relay headers decoded and unfolded, absent ones null', () => {
  const m = parse(
    'From: =?utf-8?Q?Caf=C3=A9?= <cafe@x.test>\r\nTo: "A" <a@x.test>, B <b@x.test>\r\nSubject: long\r\n  folded =?utf-8?B?w6k=?=\r\n' +
      'Reply-To: r@x.test\r\nX-Transactional-Tag: Welcome\r\nX-Transactional-Route: eu\r\nX-Transactional-Template: t1\r\n' +
      'X-Transactional-Variables: {"a":\r\n 1}\r\nX-Auth-APIKey:  key123 \r\n\r\n<p>hi</p>\r\n',
  );
  assert.deepEqual(m.headers, {
    from: { name: 'Café', address: 'cafe@x.test' },
    to: [
      { name: 'A', address: 'a@x.test' },
      { name: 'B', address: 'b@x.test' },
    ],
    subject: 'long  folded é',
    replyTo: { name: null, address: 'r@x.test' },
    tag: 'Welcome',
    route: 'eu',
    template: 't1',
    variables: '{"a": 1}',
    track: null,
    apiKey: 'key123',
  });
  const bare = parse('\r\nbody');
  assert.deepEqual(bare.headers, { from: null, to: [], subject: null, replyTo: null, tag: null, route: null, template: null, variables: null, track: null, apiKey: null });
});

test('reads raw UTF-8 header text (RFC 6532) and falls back to windows-1252 for other 8-bit bytes', () => {
  const utf8 = parseMessageSync(Buffer.from('Subject: naïve ☃\r\n\r\n', 'utf8'));
  assert.equal(utf8.headers.subject, 'naïve ☃');
  const latin = parseMessageSync(Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9, 0x20, 0x80]), Buffer.from('\r\n\r\n')]));
  assert.equal(latin.headers.subject, 'café €');
});

test('exposes the message headers as soon as the header block is complete, before the body', async () => {
  const { MessageParser } = await import('../../src/mime/index.js');
  const p = new MessageParser();
  p.write(Buffer.from('Subject: early\r\nX-Auth-APIKey: k\r\n'));
  const headersNow = () => p.messageHeaders;
  assert.equal(headersNow(), null);
  p.write(Buffer.from('\r\n<p>body'));
  assert.equal(headersNow()?.subject, 'early');
  assert.equal(headersNow()?.apiKey, 'k');
});
