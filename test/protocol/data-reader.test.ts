import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DATA_BARE_LINE_ENDING, DATA_INCOMPLETE, DataReader, LineEndingCheck } from '../../src/protocol/data-reader.js';

/** Feeds `input` split at `cuts` and returns [body, end index in the concatenated input or the error]. */
function readSplit(input: Buffer, cuts: number[]): { body: string; result: number } {
  const chunks: Buffer[] = [];
  const reader = new DataReader((c) => chunks.push(Buffer.from(c)));
  const points = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  let offset = 0;
  for (const end of [...points, input.length]) {
    const piece = input.subarray(offset, end);
    const r = reader.feed(piece, 0);
    if (r === DATA_BARE_LINE_ENDING) return { body: Buffer.concat(chunks).toString('latin1'), result: r };
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

test('DataReader refuses every SMTP smuggling end-of-data variant as bare CR or LF', () => {
  const variants = ['\n.\n', '\n.\r\n', '\r\n.\n', '\r.\r', '\r\n.\r', '\r\r\n.\r\r\n', 'a\rb\r\n', 'a\nb\r\n', '.\n', '.\rX'];
  for (const v of variants) {
    const { result } = readSplit(Buffer.from(`hello${v}MAIL FROM:<evil@x>\r\n.\r\n`, 'latin1'), []);
    assert.equal(result, DATA_BARE_LINE_ENDING, JSON.stringify(v));
  }
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
        if (whole.result !== DATA_BARE_LINE_ENDING) assert.equal(split.body, whole.body);
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
