import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DATA_BARE_CR, DATA_BARE_LF, DATA_INCOMPLETE, DataReader, LineEndingCheck, type LineEndings } from '../../src/protocol/data-reader.js';

const isBare = (r: number): boolean => r === DATA_BARE_CR || r === DATA_BARE_LF;

/** Feeds `input` split at `cuts` and returns [body, end index in the concatenated input or the error]. */
function readSplit(input: Buffer, cuts: number[], lineEndings: LineEndings = 'strict'): { body: string; result: number } {
  const chunks: Buffer[] = [];
  const reader = new DataReader((c) => chunks.push(Buffer.from(c)), lineEndings);
  const points = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  let offset = 0;
  for (const end of [...points, input.length]) {
    const piece = input.subarray(offset, end);
    const r = reader.feed(piece, 0);
    if (isBare(r)) return { body: Buffer.concat(chunks).toString('latin1'), result: r };
    if (r !== DATA_INCOMPLETE) return { body: Buffer.concat(chunks).toString('latin1'), result: offset + r };
    offset = end;
  }
  return { body: Buffer.concat(chunks).toString('latin1'), result: DATA_INCOMPLETE };
}

test('DataReader removes dot-stuffing and ends at CRLF.CRLF, keeping the last line break', () => {
  const input = Buffer.from('Subject: x\r\n\r\n..leading dot\r\n.\r\nMAIL FROM:<a@b>\r\n', 'latin1');
  const { body, result } = readSplit(input, []);
  assert.equal(body, 'Subject: x\r\n\r\n.leading dot\r\n');
  assert.equal(input.subarray(result).toString(), 'MAIL FROM:<a@b>\r\n');
});

test('DataReader accepts an empty message (the dot right after 354)', () => {
  const { body, result } = readSplit(Buffer.from('.\r\n'), []);
  assert.equal(body, '');
  assert.equal(result, 3);
});

test('DataReader does not end at a dot line that is not alone on its line', () => {
  const { body, result } = readSplit(Buffer.from('a\r\n.x\r\n. \r\n'), []);
  assert.equal(body, 'a\r\nx\r\n \r\n');
  assert.equal(result, DATA_INCOMPLETE);
});

test('DataReader (strict) refuses every SMTP smuggling end-of-data variant as bare CR or LF', () => {
  const variants = ['\n.\n', '\n.\r\n', '\r\n.\n', '\r.\r', '\r\n.\r', '\r\r\n.\r\r\n', 'a\rb\r\n', 'a\nb\r\n', '.\n', '.\rX'];
  for (const v of variants) {
    const { result } = readSplit(Buffer.from(`hello${v}MAIL FROM:<evil@x>\r\n.\r\n`, 'latin1'), []);
    assert.ok(isBare(result), JSON.stringify(v));
  }
});

test('DataReader (normalize) ends a line at a bare LF and keeps the LF in the body', () => {
  const { body, result } = readSplit(Buffer.from('Subject: x\n\n<p>hi</p>\n..dot\n\r\n.\r\nQUIT\r\n', 'latin1'), [], 'normalize');
  assert.equal(body, 'Subject: x\n\n<p>hi</p>\n.dot\n\r\n');
  assert.equal(result, 'Subject: x\n\n<p>hi</p>\n..dot\n\r\n.\r\n'.length);
});

test('DataReader (normalize) treats <LF>.<LF>, <LF>.<CR><LF> and <CR><LF>.<LF> as content, never an end of data', () => {
  const cases: [string, string][] = [
    ['\n.\n', 'hello\n.\nMAIL FROM:<evil@x>\r\n'],
    ['\n.\r\n', 'hello\n.\r\nMAIL FROM:<evil@x>\r\n'],
    ['\r\n.\n', 'hello\r\n.\nMAIL FROM:<evil@x>\r\n'],
  ];
  for (const [fake, expected] of cases) {
    const input = Buffer.from(`hello${fake}MAIL FROM:<evil@x>\r\n.\r\nQUIT\r\n`, 'latin1');
    const { body, result } = readSplit(input, [], 'normalize');
    assert.equal(body, expected, JSON.stringify(fake));
    assert.equal(input.subarray(result).toString(), 'QUIT\r\n', JSON.stringify(fake));
  }
});

test('DataReader (normalize) still refuses a bare CR, alone or in a fake end of data', () => {
  for (const v of ['\r.\r', '\r\n.\r', '\r\r\n.\r\r\n', 'a\rb\r\n', '.\rX', '\n\r.\r']) {
    const { result } = readSplit(Buffer.from(`hello${v}MAIL FROM:<evil@x>\r\n.\r\n`, 'latin1'), [], 'normalize');
    assert.equal(result, DATA_BARE_CR, JSON.stringify(v));
  }
});

test('DataReader (normalize) gives the same body and end for any split of mixed line endings', () => {
  const input = Buffer.from('From: a@b\n\n..one\n.\n.\r\ntwo\r\n.\nlast\n\r\n.\r\nQUIT\r\n', 'latin1');
  const whole = readSplit(input, [], 'normalize');
  assert.equal(whole.body, 'From: a@b\n\n.one\n.\n.\r\ntwo\r\n.\nlast\n\r\n');
  const everyByte = readSplit(input, Array.from({ length: input.length }, (_, i) => i), 'normalize');
  assert.deepEqual(everyByte, whole);
});

test('DataReader gives the same body and end for any split of the input (1-byte pieces upward)', () => {
  const message = 'From: a@b\r\n\r\n..one\r\n.two\r\n\r\n...\r\nlast line\r\n.\r\nQUIT\r\n';
  const input = Buffer.from(message, 'latin1');
  const whole = readSplit(input, []);
  assert.equal(whole.body, 'From: a@b\r\n\r\n.one\r\ntwo\r\n\r\n..\r\nlast line\r\n');
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 20 }), (cuts) => {
      const split = readSplit(input, cuts);
      assert.deepEqual(split, whole);
    }),
    { numRuns: 300 },
  );
  const everyByte = readSplit(input, Array.from({ length: input.length }, (_, i) => i));
  assert.deepEqual(everyByte, whole);
});

test('DataReader verdict on random CR/LF/dot soup does not depend on chunk boundaries', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('\r', '\n', '.', 'a', '\r\n', '\r\n.\r\n'), { maxLength: 30 }),
      fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 10 }),
      (parts, cuts) => {
        const input = Buffer.from(parts.join(''), 'latin1');
        const whole = readSplit(input, []);
        const split = readSplit(input, cuts);
        assert.equal(split.result, whole.result);
        if (!isBare(whole.result)) assert.equal(split.body, whole.body);
      },
    ),
    { numRuns: 300 },
  );
});

test('LineEndingCheck refuses bare CR and bare LF across BDAT chunk boundaries', () => {
  const ok = new LineEndingCheck();
  assert.equal(ok.check(Buffer.from('abc\r'), 0, 4), true);
  assert.equal(ok.complete, false);
  assert.equal(ok.check(Buffer.from('\nnext\r\n'), 0, 7), true);
  assert.equal(ok.complete, true);
  const bareCr = new LineEndingCheck();
  assert.equal(bareCr.check(Buffer.from('abc\r'), 0, 4), true);
  assert.equal(bareCr.check(Buffer.from('x'), 0, 1), false);
  assert.equal(new LineEndingCheck().check(Buffer.from('a\nb'), 0, 3), false);
  // Only the range is checked: bytes after `end` belong to the next command.
  assert.equal(new LineEndingCheck().check(Buffer.from('ab\r\nBDAT 1\n'), 0, 4), true);
});

test('LineEndingCheck (normalize) accepts bare LF and refuses bare CR across BDAT chunk boundaries', () => {
  assert.equal(new LineEndingCheck('normalize').check(Buffer.from('a\nb\n'), 0, 4), true);
  const split = new LineEndingCheck('normalize');
  assert.equal(split.check(Buffer.from('abc\r'), 0, 4), true);
  assert.equal(split.complete, false);
  assert.equal(split.check(Buffer.from('x'), 0, 1), false);
  assert.equal(new LineEndingCheck('normalize').check(Buffer.from('a\rb'), 0, 3), false);
});
