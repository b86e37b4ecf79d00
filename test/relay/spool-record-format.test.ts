// Properties of the spool's pure record format (fast-check): what is encoded decodes back, and scanning any bytes
// (random, cut short, corrupted) never throws and never yields a record that was not written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FRAME_BYTES,
  SEGMENT_MAGIC,
  STATE_MAGIC,
  SpoolRecordError,
  decodeMessage,
  decodeMeta,
  decodeState,
  encodeMessage,
  encodeState,
  frame,
  scanRecords,
  type StateRecord,
} from '../../src/relay/storage/spool/record-format.js';
import type { SpoolMessage } from '../../src/relay/storage/spool/index.js';

const RUNS = 300;

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
// JSON values without -0 (JSON has no -0) and with strings that are valid Unicode (UTF-8 keeps them whole).
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    text,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const spoolMessage: fc.Arbitrary<SpoolMessage> = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    account: text,
    route: text,
    tag: text,
    from: text,
    createdAt: fc.integer({ min: 0, max: 2 ** 45 }),
    recipients: fc.array(fc.record({ recipient: text.filter((s) => s.length > 0), body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) }), { minLength: 1, maxLength: 4 }),
    meta: fc.dictionary(text, jsonValue, { minKeys: 1, maxKeys: 4 }),
  },
  { requiredKeys: ['id', 'account', 'route', 'tag', 'from', 'createdAt', 'recipients'] },
);

const stateRecord: fc.Arbitrary<StateRecord> = fc.oneof(
  fc.record({ op: fc.constant('complete' as const), id: text, u: text, i: fc.nat(), status: fc.constantFrom('delivered' as const, 'failed' as const), reply: fc.option(text) }),
  fc.record({ op: fc.constant('defer' as const), id: text, u: text, i: fc.nat(), at: fc.nat(), attempts: fc.nat(), reply: fc.option(text) }),
);

const payloads = fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a)), { maxLength: 8 });

/** fast-check's records and dictionaries may have a null prototype; what JSON.parse gives has Object's. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function logOf(magic: Buffer, records: readonly Buffer[]): Buffer {
  return Buffer.concat([magic, ...records.map(frame)]);
}

/** Whatever scanRecords returns must be the first n payloads written, at their offsets, n <= written. */
function assertPrefixOf(written: readonly Buffer[], buf: Buffer, magic: Buffer): void {
  const { records, validLength } = scanRecords(buf, magic);
  assert.ok(records.length <= written.length);
  let offset = magic.length;
  records.forEach((r, i) => {
    assert.ok(r.payload.equals(written[i]!), `record ${i} differs from what was written`);
    assert.equal(r.offset, offset + FRAME_BYTES);
    offset += FRAME_BYTES + written[i]!.length;
  });
  assert.equal(validLength, records.length === 0 && !buf.subarray(0, magic.length).equals(magic) ? 0 : offset);
}

test('a message record decodes to the message that was encoded, bodies and meta included', () => {
  fc.assert(
    fc.property(spoolMessage, text, (msg, uid) => {
      const record = encodeMessage(msg, uid);
      const { records, validLength } = scanRecords(Buffer.concat([SEGMENT_MAGIC, record]), SEGMENT_MAGIC);
      assert.equal(records.length, 1);
      assert.equal(validLength, SEGMENT_MAGIC.length + record.length);
      const back = decodeMessage(records[0]!.payload);
      assert.equal(decodeMeta(records[0]!.payload).meta.uid, uid);
      assert.deepEqual(plain({ ...back, recipients: [] }), plain({ ...msg, recipients: [] }));
      assert.equal(back.recipients.length, msg.recipients.length);
      back.recipients.forEach((r, i) => {
        assert.equal(r.recipient, msg.recipients[i]!.recipient);
        assert.ok(r.body.equals(msg.recipients[i]!.body));
      });
    }),
    { numRuns: RUNS },
  );
});

test('a state record decodes to the state that was encoded', () => {
  fc.assert(
    fc.property(stateRecord, (rec) => {
      const { records } = scanRecords(Buffer.concat([STATE_MAGIC, encodeState(rec)]), STATE_MAGIC);
      assert.equal(records.length, 1);
      assert.deepEqual(decodeState(records[0]!.payload), plain(rec));
    }),
    { numRuns: RUNS },
  );
});

test('scanning a log cut short at any byte yields exactly the records that were whole', () => {
  fc.assert(
    fc.property(payloads, fc.nat(), (written, cut) => {
      const buf = logOf(SEGMENT_MAGIC, written);
      const at = cut % (buf.length + 1);
      const { records, validLength } = scanRecords(buf.subarray(0, at), SEGMENT_MAGIC);
      let whole = 0;
      let end = SEGMENT_MAGIC.length;
      while (whole < written.length && end + FRAME_BYTES + written[whole]!.length <= at) end += FRAME_BYTES + written[whole++]!.length;
      assert.equal(records.length, at < SEGMENT_MAGIC.length ? 0 : whole);
      assert.equal(validLength, at < SEGMENT_MAGIC.length ? 0 : end);
      assertPrefixOf(written, buf.subarray(0, at), SEGMENT_MAGIC);
    }),
    { numRuns: RUNS },
  );
});

test('scanning a log with corrupted bytes never throws and never yields a record that was not written', () => {
  fc.assert(
    fc.property(payloads, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (written, flips) => {
      const buf = logOf(STATE_MAGIC, written);
      for (const [at, xor] of flips) buf[at % buf.length]! ^= xor;
      assertPrefixOf(written, buf, STATE_MAGIC);
    }),
    { numRuns: RUNS },
  );
});

test('scanning random bytes never throws, and decoding an intact frame of random bytes throws only SpoolRecordError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, withMagic) => {
      const buf = withMagic ? Buffer.concat([SEGMENT_MAGIC, Buffer.from(bytes)]) : Buffer.from(bytes);
      const { records, validLength } = scanRecords(buf, SEGMENT_MAGIC);
      assert.ok(validLength <= buf.length);
      // Random bytes as a payload with a correct CRC: what a bug (never a crash) could leave.
      const payloads = [...records.map((r) => r.payload), Buffer.from(bytes), Buffer.concat([Buffer.from([0x4d]), Buffer.from(bytes)])];
      for (const p of payloads) {
        for (const decode of [decodeMessage, decodeState]) {
          try {
            decode(p);
          } catch (err) {
            assert.ok(err instanceof SpoolRecordError, `${decode.name} threw ${String(err)}`);
          }
        }
      }
    }),
    { numRuns: RUNS },
  );
});

test('decoding a message whose meta is JSON but not a message throws SpoolRecordError', () => {
  for (const meta of ['null', '3', '"x"', '{}', '{"id":"a","recipients":[{"recipient":"r","size":-1}]}', '{"id":"a","recipients":[{"recipient":"r","size":5}]}']) {
    const json = Buffer.from(meta);
    const head = Buffer.alloc(5);
    head[0] = 0x4d;
    head.writeUInt32BE(json.length, 1);
    assert.throws(() => decodeMessage(Buffer.concat([head, json])), SpoolRecordError, meta);
  }
});
