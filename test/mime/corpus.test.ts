import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessageSync, type Mailbox } from '../../src/mime/index.js';
import { lf, readCorpusMessage, readExpected, type ExpectedAddress } from './corpus-files.js';

/** Where we differ from Python's email package on purpose, and why. */
const DELIBERATE: Record<string, { field: string; reason: string }> = {
  'mime4j/obsolete.msg': {
    field: 'subject',
    reason: 'RFC 5322 §4.5 obsolete syntax allows whitespace before the colon ("Subject :"); Python stops the header block there',
  },
  'mimetools/german.msg': { field: 'from', reason: '"addr (Name)": the comment is shown as the display name, as mail clients do' },
  'mimetools/not-mime.msg': { field: 'from', reason: '"addr (Name)": the comment is shown as the display name, as mail clients do' },
  'postal-mime/bounce.eml': { field: 'from', reason: '"addr (Name)": the comment is shown as the display name, as mail clients do' },
};

// An entry without "@" is a name only for us (SPEC §3); Python's email package calls it an addr-spec with no domain.
function pairs(list: Mailbox[]): Array<[string, string]> {
  return list.map((m) => (m.address === null ? ['', m.name ?? ''] : [m.name ?? '', m.address]));
}
function expectedPairs(list: ExpectedAddress[] | null, firstOnly: boolean): Array<[string, string]> {
  const l = list ?? [];
  return (firstOnly ? l.slice(0, 1) : l).map((a) => [a.display_name, a.addr_spec]);
}

const expected = readExpected();
let agreed = 0;

for (const e of expected) {
  test(`corpus ${e.path}: same HTML body and headers as Python's email package`, () => {
    const parsed = parseMessageSync(readCorpusMessage(e.path));
    const deliberate = DELIBERATE[e.path];
    const fields: Record<string, [unknown, unknown]> = {
      html: [lf(parsed.html), lf(e.html)],
      subject: [parsed.headers.subject, e.subject],
      from: [pairs(parsed.headers.from ? [parsed.headers.from] : []), expectedPairs(e.addresses.from, true)],
      to: [pairs(parsed.headers.to), expectedPairs(e.addresses.to, false)],
      replyTo: [pairs(parsed.headers.replyTo ? [parsed.headers.replyTo] : []), expectedPairs(e.addresses.reply_to, true)],
    };
    let all = true;
    for (const [field, [ours, theirs]] of Object.entries(fields)) {
      if (deliberate?.field === field) {
        assert.notDeepEqual(ours, theirs, `${e.path}: listed as a deliberate difference in ${field} but agrees now`);
        all = false;
        continue;
      }
      assert.deepEqual(ours, theirs, `${e.path}: ${field}`);
    }
    if (all) agreed++;
  });
}

test('corpus: every message parses, and the agreement count is reported', () => {
  assert.equal(expected.length, 85);
  process.stdout.write(`# corpus: ${agreed}/${expected.length} agree with Python on every field; ${Object.keys(DELIBERATE).length} deliberate differences\n`);
});

test('corpus: the seven HTML bodies Python finds are all found', () => {
  const withHtml = expected.filter((e) => e.html !== null).map((e) => e.path);
  assert.equal(withHtml.length, 7);
  for (const path of withHtml) assert.notEqual(parseMessageSync(readCorpusMessage(path)).html, null, path);
});

/** Filenames we decode where Python leaves them as written. */
const FILENAME_DIFFERENCES: Record<string, string> = {
  'mime4j/russian-headers.msg': 'an RFC 2047 word as an unquoted parameter value is decoded (as mailparser does)',
  'mimetools/russian.msg': 'an RFC 2047 word as an unquoted parameter value is decoded (as mailparser does)',
  'mimetools/multi-2evil.msg': 'RFC 2047 words inside an RFC 2231 value are decoded',
};

test('corpus: lists the same leaf parts as Python for every message without defects or attached messages', () => {
  let compared = 0;
  for (const e of expected) {
    if (e.defects.length > 0 || e.content_type.startsWith('message/')) continue;
    const parsed = parseMessageSync(readCorpusMessage(e.path));
    if (parsed.dropped.some((d) => d.type.startsWith('message/'))) continue;
    const key = (type: string, filename: string | null) => (FILENAME_DIFFERENCES[e.path] ? type : `${type}|${filename}`);
    const ours = parsed.dropped.map((d) => key(d.type, d.filename));
    if (parsed.html !== null) ours.push('the HTML body');
    const htmlPath = JSON.stringify(e.html_part);
    const theirs = e.parts.map((p) => (JSON.stringify(p.path) === htmlPath ? 'the HTML body' : key(p.content_type, p.filename)));
    assert.deepEqual(ours.sort(), theirs.sort(), e.path);
    compared++;
  }
  assert.ok(compared >= 40, `compared ${compared}`);
  process.stdout.write(`# corpus: leaf parts agree with Python on ${compared} messages\n`);
});
