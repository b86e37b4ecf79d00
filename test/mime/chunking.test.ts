import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageParser, parseMessageSync, type ParsedMessage } from '../../src/mime/index.js';
import { readCorpusMessage, readExpected } from './corpus-files.js';

function parseInChunks(raw: Buffer, sizes: number[]): ParsedMessage {
  const p = new MessageParser();
  let at = 0;
  let k = 0;
  while (at < raw.length) {
    const n = sizes.length === 0 ? 1 : Math.max(1, sizes[k++ % sizes.length]!);
    p.write(raw.subarray(at, at + n));
    at += n;
  }
  return p.end();
}

const messages = readExpected().map((e) => ({ path: e.path, raw: readCorpusMessage(e.path) }));

test('gives identical output when every corpus message is fed one byte at a time', () => {
  for (const m of messages) assert.deepEqual(parseInChunks(m.raw, [1]), parseMessageSync(m.raw), m.path);
});

test('gives identical output for random chunk sizes (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: messages.length - 1 }),
      fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
      (index, sizes) => {
        const m = messages[index]!;
        assert.deepEqual(parseInChunks(m.raw, sizes), parseMessageSync(m.raw), m.path);
      },
    ),
    { numRuns: 300, seed: 20261126 },
  );
});

test('finds a delimiter split across chunks right after CR, LF or the dashes', () => {
  const raw = Buffer.from(
    'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nplain\r\n' +
      '--b1\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b1--\r\n',
  );
  const whole = parseMessageSync(raw);
  assert.equal(whole.html, '<p>x</p>');
  for (let cut = 1; cut < raw.length; cut++) {
    const p = new MessageParser();
    p.write(raw.subarray(0, cut));
    p.write(raw.subarray(cut));
    assert.deepEqual(p.end(), whole, `cut at ${cut}`);
  }
});

test('gives identical output for malformed input in random chunks (property)', () => {
  const pieces = ['\r\n', '\n', '\r', '--b', '--b--', '--c', 'Content-Type: multipart/mixed; boundary=b', 'Content-Type: multipart/alternative; boundary=c',
    'Content-Type: text/html', 'Content-Type: text/plain', ': x', ' folded', 'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable',
    '=', '=C3', '=\r\n', 'PGI+', ' \t', '<p>', 'From x', 'Content-Disposition: attachment'];
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 })), { maxLength: 80 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
      (parts, sizes) => {
        const raw = Buffer.from(parts.join(''), 'utf8');
        let whole: unknown;
        try {
          whole = parseMessageSync(raw);
        } catch (e) {
          whole = e;
        }
        let chunked: unknown;
        try {
          chunked = parseInChunks(raw, sizes);
        } catch (e) {
          chunked = e;
        }
        assert.deepEqual(chunked, whole);
      },
    ),
    { numRuns: 1500, seed: 99 },
  );
});
