import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageParser, MimeLimitError, parseMessageSync, type MimeLimits } from '../../src/mime/index.js';

function limitOf(raw: string | Buffer, limits: Partial<MimeLimits>): MimeLimitError {
  try {
    parseMessageSync(typeof raw === 'string' ? Buffer.from(raw) : raw, limits);
  } catch (e) {
    assert.ok(e instanceof MimeLimitError, `expected MimeLimitError, got ${String(e)}`);
    return e;
  }
  assert.fail('no MimeLimitError thrown');
}

test('refuses a header block larger than maxHeaderBytes', () => {
  const e = limitOf(`Subject: ${'x'.repeat(2000)}\r\n\r\nbody`, { maxHeaderBytes: 1024 });
  assert.equal(e.limit, 'maxHeaderBytes');
  assert.equal(e.value, 1024);
  assert.match(e.message, /maxHeaderBytes/);
});

test('refuses a header block without an end that grows past maxHeaderBytes, fed in small chunks', () => {
  const p = new MessageParser({ maxHeaderBytes: 4096 });
  assert.throws(() => {
    for (let i = 0; i < 1000; i++) p.write(Buffer.from('X-Filler: 0123456789\r\n'));
  }, (e: unknown) => e instanceof MimeLimitError && e.limit === 'maxHeaderBytes');
});

test('refuses more header fields than maxHeaderCount', () => {
  const e = limitOf('A: 1\r\n'.repeat(11) + '\r\n', { maxHeaderCount: 10 });
  assert.equal(e.limit, 'maxHeaderCount');
});

test('refuses multipart nesting deeper than maxDepth', () => {
  let msg = '';
  for (let d = 0; d < 5; d++) msg += `Content-Type: multipart/mixed; boundary=b${d}\r\n\r\n--b${d}\r\n`;
  msg += 'Content-Type: text/html\r\n\r\n<p>deep</p>\r\n';
  assert.equal(parseMessageSync(Buffer.from(msg), { maxDepth: 5 }).html, '<p>deep</p>\r\n');
  assert.equal(limitOf(msg, { maxDepth: 4 }).limit, 'maxDepth');
});

test('refuses more MIME parts than maxParts', () => {
  const msg = 'Content-Type: multipart/mixed; boundary=m\r\n\r\n' + '--m\r\nContent-Type: image/png\r\n\r\nP\r\n'.repeat(10) + '--m--\r\n';
  assert.equal(parseMessageSync(Buffer.from(msg), { maxParts: 11 }).dropped.length, 10);
  assert.equal(limitOf(msg, { maxParts: 10 }).limit, 'maxParts');
});

test('refuses an HTML body larger than maxHtmlBytes after transfer decoding, as soon as it passes the limit', () => {
  const html = '<p>' + 'a'.repeat(5000) + '</p>';
  const msg = `Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(html).toString('base64')}\r\n`;
  assert.equal(parseMessageSync(Buffer.from(msg), { maxHtmlBytes: html.length }).html, html);
  assert.equal(limitOf(msg, { maxHtmlBytes: html.length - 1 }).limit, 'maxHtmlBytes');
  const p = new MessageParser({ maxHtmlBytes: 100 });
  p.write(Buffer.from('Content-Type: text/html\r\n\r\n'));
  assert.throws(() => p.write(Buffer.alloc(200, 0x61)), MimeLimitError);
  assert.throws(() => p.end(), MimeLimitError, 'the error sticks for later calls');
});

test('lets a large text/plain alternative through when an HTML body is found, and refuses it when it is the only body', () => {
  const big = 'a'.repeat(300);
  const withHtml = `Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\n${big}\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--a--\r\n`;
  assert.equal(parseMessageSync(Buffer.from(withHtml), { maxHtmlBytes: 100 }).html, '<p>x</p>');
  assert.equal(limitOf(`Content-Type: text/plain\r\n\r\n${big}`, { maxHtmlBytes: 100 }).limit, 'maxHtmlBytes');
});

test('never throws anything but MimeLimitError on malformed input (property)', async () => {
  const fc = (await import('fast-check')).default;
  const pieces = ['\r\n', '\n', '\r', '--b', '--b--', 'Content-Type: multipart/mixed; boundary=b', 'Content-Type: text/html', ': x', ' folded',
    'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable', '=?utf-8?B?', '?=', '=', '=C3', 'boundary=', ';', '"', '=?x?Q?', 'charset=*', "*0*=utf-8''%"];
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 }), fc.uint8Array({ maxLength: 5 })), { maxLength: 60 }), (parts) => {
      const raw = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
      try {
        parseMessageSync(raw, { maxDepth: 4, maxParts: 20 });
      } catch (e) {
        if (!(e instanceof MimeLimitError)) throw e;
      }
    }),
    { numRuns: 2000, seed: 7 },
  );
});
