import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessageSync } from '../../src/mime/index.js';
import { decodeCharset } from '../../src/mime/charset.js';

function htmlPart(charset: string, body: Buffer, cte = '8bit'): Buffer {
  return Buffer.concat([
    Buffer.from(`Content-Type: text/html; charset=${charset}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`),
    body,
  ]);
}

test('decodes windows-1252 0x80-0x9F with the WHATWG table (€ “ ” – — ™), not as C1 controls', () => {
  const bytes = Buffer.from([0x80, 0x20, 0x93, 0x71, 0x94, 0x20, 0x96, 0x20, 0x97, 0x20, 0x99]);
  assert.equal(decodeCharset(bytes, 'windows-1252'), '€ “q” – — ™');
  assert.equal(parseMessageSync(htmlPart('windows-1252', bytes)).html, '€ “q” – — ™');
});

test('decodes ISO-8859-1 and latin1 labels with the windows-1252 table, as mail means them', () => {
  const bytes = Buffer.from([0x80, 0xe9, 0x85]);
  for (const label of ['ISO-8859-1', 'iso8859-1', 'latin1', 'us-ascii', '"ISO-8859-1"']) {
    assert.equal(decodeCharset(bytes, label), '€é…', label);
  }
});

test('keeps the five bytes windows-1252 leaves unassigned as the C1 control of the same value', () => {
  assert.equal(decodeCharset(Buffer.from([0x81, 0x8d, 0x8f, 0x90, 0x9d]), 'windows-1252'), '\u0081\u008d\u008f\u0090\u009d');
});

test('falls back to windows-1252 for an unknown or broken charset, never throwing', () => {
  const bytes = Buffer.from([0x68, 0x80, 0xe9]);
  for (const label of ['x-unknown-charset', 'utf-99', '', '???', 'replacement', 'iso-2022-kr']) {
    assert.equal(decodeCharset(bytes, label), 'h€é', label);
  }
  assert.equal(parseMessageSync(htmlPart('bogus"; x', bytes)).html, 'h€é');
});

test('decodes other charsets through TextDecoder and aliases mail uses', () => {
  assert.equal(decodeCharset(Buffer.from([0xc4, 0xe3, 0xba, 0xc3]), 'gb2312'), '你好');
  assert.equal(decodeCharset(Buffer.from([0x82, 0xa0]), 'x-sjis'), 'あ');
  assert.equal(decodeCharset(Buffer.from([0xcf, 0xf0, 0xe8]), 'cp1251'), 'При');
  assert.equal(decodeCharset(Buffer.from('żółw', 'utf8'), 'UTF8'), 'żółw');
});

test('reads an unlabelled 8-bit body as UTF-8 when it is valid UTF-8, else windows-1252', () => {
  const utf = Buffer.concat([Buffer.from('Content-Type: text/html\r\n\r\n'), Buffer.from('<p>ü €</p>', 'utf8')]);
  assert.equal(parseMessageSync(utf).html, '<p>ü €</p>');
  const cp = Buffer.concat([Buffer.from('Content-Type: text/html\r\n\r\n'), Buffer.from([0x3c, 0x70, 0x3e, 0xfc, 0x80])]);
  assert.equal(parseMessageSync(cp).html, '<p>ü€');
});

test('decodes base64 and quoted-printable HTML bodies before the charset', () => {
  const b64 = htmlPart('utf-8', Buffer.from(Buffer.from('<p>héllo wörld</p>', 'utf8').toString('base64').replace(/(.{8})/g, '$1\r\n')), 'base64');
  assert.equal(parseMessageSync(b64).html, '<p>héllo wörld</p>');
  const qp = htmlPart('utf-8', Buffer.from('<p>h=C3=A9llo =\r\nw=C3=B6rld</p>  \r\nnext=3D line=\r\n'), 'quoted-printable');
  assert.equal(parseMessageSync(qp).html, '<p>héllo wörld</p>\r\nnext= line');
  const qpLatin = htmlPart('iso-8859-1', Buffer.from('=80 =E9=\n'), 'Quoted-Printable');
  assert.equal(parseMessageSync(qpLatin).html, '€ é');
});
