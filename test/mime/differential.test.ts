// Messages built by nodemailer (MailComposer and MimeNode trees), parsed by us, mailparser and postal-mime;
// characters split across RFC 2047 encoded words, read by us, Python's email package and postal-mime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import { simpleParser } from 'mailparser';
import PostalMime from 'postal-mime';
import { MessageParser, parseMessageSync, type ParsedMessage } from '../../src/mime/index.js';
import { lf } from './corpus-files.js';
import { findPython, readWithPythonEmail } from './python-email.js';

// Readers trim and collapse header whitespace and drop control characters, so generated header text avoids them.
const headerText = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 60 })
  .map((s) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\s]+/g, ' ').trim())
  .filter((s) => s !== '');
const bodyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).map((s) => s.replace(/[\r\u0000]/g, ''));
const localPart = fc.stringMatching(/^[a-z][a-z0-9.]{0,10}[a-z0-9]$/).filter((s) => !s.includes('..'));
const address = localPart.map((l) => `${l}@example.com`);
const mailbox = fc.record({ name: headerText, address });

function trimEnd(s: string | null): string | null {
  return s === null ? null : lf(s)!.replace(/\n$/, '');
}

interface Readings {
  ours: ParsedMessage;
  mailparser: { html: string | null; subject: string | undefined; from: { name: string; address: string } | undefined; to: Array<{ name: string; address: string }> };
  postal: { html: string | null; subject: string | undefined; from: { name: string; address: string } | undefined; to: Array<{ name: string; address: string }> };
}

async function readAll(raw: Buffer): Promise<Readings> {
  const mp = await simpleParser(raw);
  const pm = await PostalMime.parse(raw);
  const mpTo = mp.to === undefined ? [] : (Array.isArray(mp.to) ? mp.to : [mp.to]).flatMap((a) => a.value);
  return {
    ours: parseMessageSync(raw),
    mailparser: {
      html: mp.html === false || mp.html === undefined ? null : mp.html,
      subject: mp.subject,
      from: mp.from?.value[0] as { name: string; address: string } | undefined,
      to: mpTo.map((a) => ({ name: a.name, address: a.address ?? '' })),
    },
    postal: {
      html: pm.html ?? null,
      subject: pm.subject,
      from: pm.from as { name: string; address: string } | undefined,
      to: (pm.to ?? []).map((a) => ({ name: a.name, address: (a as { address?: string }).address ?? '' })),
    },
  };
}

function assertHeadersAgree(r: Readings): void {
  const h = r.ours.headers;
  for (const [peer, v] of [['mailparser', r.mailparser], ['postal-mime', r.postal]] as const) {
    assert.equal(h.subject, v.subject, `${peer} subject`);
    assert.deepEqual({ name: h.from?.name ?? '', address: h.from?.address }, { name: v.from?.name ?? '', address: v.from?.address }, `${peer} from`);
    assert.deepEqual(
      h.to.map((m) => ({ name: m.name ?? '', address: m.address })),
      v.to.map((m) => ({ name: m.name ?? '', address: m.address })),
      `${peer} to`,
    );
  }
}

const attachment = fc.record({
  filename: headerText,
  content: fc.uint8Array({ minLength: 0, maxLength: 600 }).map((a) => Buffer.from(a)),
  contentType: fc.constantFrom('application/pdf', 'image/png', 'application/octet-stream', 'text/csv'),
  inline: fc.boolean(),
});

test('agrees with mailparser and postal-mime on MailComposer messages: alternative, related, mixed, encodings (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        subject: headerText,
        from: mailbox,
        to: fc.array(mailbox, { minLength: 1, maxLength: 3 }),
        text: fc.option(bodyText, { nil: undefined }),
        html: bodyText.map((s) => `<p>${s}</p>`),
        attachments: fc.array(attachment, { maxLength: 3 }),
        textEncoding: fc.constantFrom('base64', 'quoted-printable', undefined),
      }),
      async (m) => {
        const composer = new MailComposer({
          subject: m.subject,
          from: m.from,
          to: m.to,
          text: m.text,
          html: m.html,
          textEncoding: m.textEncoding as 'base64' | 'quoted-printable' | undefined,
          attachments: m.attachments.map((a, i) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
            ...(a.inline ? { cid: `part${i}@example.com` } : {}),
          })),
        });
        const raw = await composer.compile().build();
        const r = await readAll(raw);
        // A single-part message ends with the CRLF SMTP requires: Python and we keep it in the body, peers drop it.
        assert.equal(trimEnd(r.ours.html), m.html, 'ours html');
        assert.equal(trimEnd(r.mailparser.html), m.html, 'mailparser html');
        assert.equal(trimEnd(r.postal.html), m.html, 'postal-mime html');
        assertHeadersAgree(r);
        // MailComposer puts inline (cid) attachments in a related part before the others: compare as sets.
        const names = r.ours.dropped.filter((d) => d.disposition !== null).map((d) => d.filename ?? '');
        assert.deepEqual(names.sort(), m.attachments.map((a) => a.filename).sort(), 'attachment names');
      },
    ),
    { numRuns: 100, seed: 11 },
  );
});

/** Characters each generated charset can encode; windows-1252 adds the 0x80-0x9F punctuation. */
const LATIN1 = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).concat(Array.from({ length: 96 }, (_, i) => String.fromCharCode(0xa0 + i)));
const CP1252_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
function encodeCp1252(s: string): Buffer {
  const out = Buffer.alloc(s.length);
  for (let i = 0; i < s.length; i++) {
    const k = CP1252_EXTRA.indexOf(s[i]!);
    out[i] = k >= 0 ? [0x80, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8e, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9e, 0x9f][k]! : s.charCodeAt(i);
  }
  return out;
}

type Tree =
  | { kind: 'html'; charset: 'utf-8' | 'iso-8859-1' | 'windows-1252'; cte: 'base64' | 'quoted-printable' | '8bit'; text: string }
  | { kind: 'multipart'; subtype: 'alternative' | 'related' | 'mixed'; children: Tree[] }
  | { kind: 'plain'; text: string }
  | { kind: 'file'; type: string; name: string; bytes: Buffer };

const cte = fc.constantFrom('base64' as const, 'quoted-printable' as const, '8bit' as const);
const htmlLeaf = fc.oneof(
  fc.record({ kind: fc.constant('html' as const), charset: fc.constant('utf-8' as const), cte, text: bodyText }),
  fc.record({ kind: fc.constant('html' as const), charset: fc.constant('iso-8859-1' as const), cte, text: fc.string({ unit: fc.constantFrom(...LATIN1), minLength: 1, maxLength: 200 }) }),
  fc.record({ kind: fc.constant('html' as const), charset: fc.constant('windows-1252' as const), cte, text: fc.string({ unit: fc.constantFrom(...LATIN1, ...CP1252_EXTRA), minLength: 1, maxLength: 200 }) }),
);
const fileLeaf = fc.record({
  kind: fc.constant('file' as const),
  type: fc.constantFrom('image/png', 'application/pdf'),
  name: headerText,
  bytes: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});
const plainLeaf = fc.record({ kind: fc.constant('plain' as const), text: bodyText });

/** A body subtree with exactly one HTML leaf where every reader looks for it. */
const { body } = fc.letrec<{ body: Tree; related: Tree }>((tie) => ({
  related: fc
    .tuple(htmlLeaf, fc.array(fileLeaf, { minLength: 1, maxLength: 2 }))
    .map(([b, f]): Tree => ({ kind: 'multipart', subtype: 'related', children: [b, ...f] })),
  body: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    htmlLeaf,
    // Alternative in alternative is left out: postal-mime then joins the inner text/plain (as HTML) to the body.
    fc.tuple(plainLeaf, fc.oneof(htmlLeaf, tie('related'))).map(([p, b]): Tree => ({ kind: 'multipart', subtype: 'alternative', children: [p, b] })),
    tie('related'),
    fc.tuple(tie('body'), fc.array(fileLeaf, { minLength: 1, maxLength: 2 })).map(([b, f]): Tree => ({ kind: 'multipart', subtype: 'mixed', children: [b, ...f] })),
  ),
}));

function findHtml(t: Tree): Extract<Tree, { kind: 'html' }> {
  if (t.kind === 'html') return t;
  if (t.kind === 'multipart') for (const c of t.children) if (c.kind === 'html' || c.kind === 'multipart') return findHtml(c);
  throw new Error('no html');
}

function build(t: Tree, node: MimeNode, inRelated: boolean, index: number): void {
  if (t.kind === 'multipart') {
    for (let i = 0; i < t.children.length; i++) {
      const c = t.children[i]!;
      const child = node.createChild(c.kind === 'multipart' ? `multipart/${c.subtype}` : 'text/plain');
      build(c, child, t.subtype === 'related', i);
    }
    return;
  }
  if (t.kind === 'html') {
    node.setHeader('Content-Type', `text/html; charset=${t.charset}`);
    node.setHeader('Content-Transfer-Encoding', t.cte);
    const bytes = t.charset === 'utf-8' ? Buffer.from(t.text, 'utf8') : t.charset === 'iso-8859-1' ? Buffer.from(t.text, 'latin1') : encodeCp1252(t.text);
    node.setContent(bytes);
  } else if (t.kind === 'plain') {
    node.setHeader('Content-Type', 'text/plain; charset=utf-8');
    node.setContent(t.text);
  } else {
    node.setHeader('Content-Type', t.type);
    node.setHeader('Content-Disposition', inRelated ? 'inline' : 'attachment');
    node.filename = t.name;
    if (inRelated) node.setHeader('Content-ID', `<f${index}@example.com>`);
    node.setContent(t.bytes);
  }
}

test('agrees with mailparser and postal-mime on MimeNode trees with charsets and transfer encodings (property)', async () => {
  await fc.assert(
    fc.asyncProperty(headerText, mailbox, fc.array(mailbox, { minLength: 1, maxLength: 2 }), body, async (subject, from, to, tree) => {
      const root = new MimeNode(tree.kind === 'multipart' ? `multipart/${tree.subtype}` : 'text/html');
      root.setHeader('Subject', subject);
      root.setHeader('From', from);
      root.setHeader('To', to);
      build(tree, root, false, 0);
      const raw = await root.build();
      const r = await readAll(raw);
      // The same message in uneven chunks reads the same.
      const chunked = new MessageParser();
      for (let at = 0, k = 0; at < raw.length; k++) {
        const n = 1 + ((k * 7919) % 97);
        chunked.write(raw.subarray(at, at + n));
        at += n;
      }
      assert.deepEqual(chunked.end(), r.ours, 'chunked parse');
      const want = findHtml(tree).text.replace(/\n$/, '');
      // A body's own final line break is indistinguishable from the one before a delimiter once encoded.
      assert.equal(trimEnd(r.ours.html), want, 'ours html');
      assert.equal(trimEnd(r.mailparser.html), want, 'mailparser html');
      // postal-mime decodes windows-1252 with TextDecoder, which loses 0x80-0x9F (nodejs/node#60888).
      if (findHtml(tree).charset !== 'windows-1252') assert.equal(trimEnd(r.postal.html), want, 'postal-mime html');
      assertHeadersAgree(r);
    }),
    { numRuns: 100, seed: 5 },
  );
});

/** A short text in each charset and its bytes, as Python's codec writes them (TextDecoder must read them back). */
const SPLIT_SAMPLES: ReadonlyArray<{ charset: string; text: string; hex: string }> = [
  { charset: 'utf-8', text: 'Grüße 日本語 €😀', hex: '4772c3bcc39f6520e697a5e69cace8aa9e20e282acf09f9880' },
  { charset: 'shift_jis', text: '日本語のテスト', hex: '93fa967b8cea82cc836583588367' },
  { charset: 'euc-jp', text: '日本語のテスト', hex: 'c6fccbdcb8eca4cea5c6a5b9a5c8' },
  { charset: 'iso-2022-jp', text: '日本語のテスト', hex: '1b2442467c4b5c386c244e2546253925481b2842' },
  { charset: 'gb2312', text: '中文测试邮件', hex: 'd6d0cec4b2e2cad4d3cabcfe' },
  { charset: 'gbk', text: '中文測試郵件', hex: 'd6d0cec49c79d487e05dbcfe' },
  { charset: 'gb18030', text: '中文测试€ß', hex: 'd6d0cec4b2e2cad4a2e381308938' },
  { charset: 'big5', text: '中文測試郵件', hex: 'a4a4a4e5b4fab8d5b66ca5f3' },
  { charset: 'euc-kr', text: '한국어 테스트', hex: 'c7d1b1b9beee20c5d7bdbac6ae' },
  { charset: 'ks_c_5601-1987', text: '한국어 메일', hex: 'c7d1b1b9beee20b8dec0cf' },
  { charset: 'koi8-r', text: 'Привет, мир', hex: 'f0d2c9d7c5d42c20cdc9d2' },
  { charset: 'windows-1251', text: 'Привет, мир', hex: 'cff0e8e2e5f22c20ece8f0' },
  { charset: 'iso-8859-7', text: 'Καλημέρα κόσμε', hex: 'cae1ebe7ecddf1e120eafcf3ece5' },
  { charset: 'iso-8859-5', text: 'Привет', hex: 'bfe0d8d2d5e2' },
  { charset: 'iso-8859-2', text: 'Zażółć gęślą', hex: '5a61bff3b3e62067eab66cb1' },
  { charset: 'iso-8859-15', text: 'Œuvre à 5 €', hex: 'bc7576726520e0203520a4' },
];

/** A multi-byte charset's character boundaries: a prefix ending mid-character does not decode. */
function endsMidCharacter(charset: string, prefix: Buffer): boolean {
  try {
    new TextDecoder(charset, { fatal: true }).decode(prefix);
    return false;
  } catch {
    return true;
  }
}

/** The split point nearest the middle that falls inside a character, or -1 (a single-byte charset). */
function midCharacterSplit(charset: string, bytes: Buffer): number {
  const middle = bytes.length >> 1;
  for (let d = 0; d < middle; d++) {
    for (const p of [middle - d, middle + d]) if (p > 0 && p < bytes.length && endsMidCharacter(charset, bytes.subarray(0, p))) return p;
  }
  return -1;
}

/** RFC 2047 §4.2 Q encoding: letters and digits as themselves, space as "_", every other byte as =XX. */
function qEncode(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) {
    const alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    s += alnum ? String.fromCharCode(b) : b === 0x20 ? '_' : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return s;
}

interface SplitCase {
  name: string;
  charset: string;
  text: string;
  /** The encoded words with the whitespace between them, as the header holds them. */
  words: string;
  /** postal-mime joins only words of one encoding and one label spelling, and B words only on 4-character boundaries. */
  postalJoins: boolean;
}

/** Every sample as adjacent encoded words: halves split mid-character, 3-byte B words, one byte per word; B, Q and mixed. */
function splitCases(): SplitCase[] {
  const cases: SplitCase[] = [];
  const separators = [' ', '\r\n ', '\t', '  \r\n\t'];
  for (const sample of SPLIT_SAMPLES) {
    const bytes = Buffer.from(sample.hex, 'hex');
    assert.equal(new TextDecoder(sample.charset).decode(bytes), sample.text, `${sample.charset} fixture`);
    let mid = midCharacterSplit(sample.charset, bytes);
    const multiByte = mid >= 0;
    assert.equal(multiByte, bytes.length > sample.text.length, `${sample.charset}: a multi-byte text has a split inside a character`);
    if (!multiByte) mid = bytes.length >> 1; // single-byte charsets: no character can be split, the words still join
    const chunks = (size: number): Buffer[] =>
      Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
    const halves = [bytes.subarray(0, mid), bytes.subarray(mid)];
    const b = (label: string, c: Buffer): string => `=?${label}?B?${c.toString('base64')}?=`;
    const q = (label: string, c: Buffer): string => `=?${label}?Q?${qEncode(c)}?=`;
    const shapes: Array<[string, string[], boolean]> = [
      ['B halves', halves.map((c) => b(sample.charset, c)), halves[0]!.length % 3 === 0],
      ['Q halves', halves.map((c) => q(sample.charset, c)), true],
      ['B then Q', [b(sample.charset, halves[0]!), q(sample.charset, halves[1]!)], false],
      ['Q then B', [q(sample.charset, halves[0]!), b(sample.charset, halves[1]!)], false],
      ['B halves, labels in two cases', [b(sample.charset.toUpperCase(), halves[0]!), b(sample.charset, halves[1]!)], false],
      ['3-byte B words', chunks(3).map((c) => b(sample.charset, c)), true],
      ['one byte per Q word', chunks(1).map((c) => q(sample.charset, c)), true],
      ['one byte per word, B and Q by turns', chunks(1).map((c, i) => (i % 2 === 0 ? b(sample.charset, c) : q(sample.charset, c))), false],
    ];
    for (const [shape, words, postalJoins] of shapes) {
      const sep = separators[cases.length % separators.length]!;
      const name = `${sample.charset} ${shape}${multiByte ? ' (split mid-character)' : ''}`;
      cases.push({ name, charset: sample.charset, text: sample.text, words: words.join(sep), postalJoins });
    }
  }
  return cases;
}

/** One message carrying the words in every place they are decoded: Subject, From, To, Reply-To, a filename. */
function splitMessage(c: SplitCase): Buffer {
  return Buffer.from(
    `From: ${c.words} <from@example.com>\r\nTo: ${c.words} <to@example.com>, Plain <plain@example.com>\r\nReply-To: ${c.words} <reply@example.com>\r\n` +
      `Subject: Re: ${c.words} ok\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
      '--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>x</p>\r\n' +
      `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="${c.words}"\r\n\r\nx\r\n--b--\r\n`,
    'ascii',
  );
}

type SplitReadings = Record<'subject' | 'from' | 'to' | 'replyTo' | 'filename', string | null | undefined>;

/** What every field should read: the subject around the decoded words, the words alone elsewhere. */
function splitExpected(subject: string | null, words: string | null): SplitReadings {
  return { subject, from: words, to: words, replyTo: words, filename: words };
}

/** Ours, field by field: the words decoded where the message holds them. */
function ourSplitReadings(c: SplitCase): SplitReadings {
  const m = parseMessageSync(splitMessage(c));
  const filename = m.dropped.find((d) => d.disposition === 'attachment')?.filename;
  return { subject: m.headers.subject, from: m.headers.from?.name, to: m.headers.to[0]?.name, replyTo: m.headers.replyTo?.name, filename };
}

test("agrees with Python's email package on characters split across adjacent encoded words in 16 charsets (B, Q, mixed)", (t) => {
  const python = findPython();
  if (python === null) {
    t.skip('python3 not found: apt-get install python3');
    return;
  }
  const cases = splitCases();
  // Python reads the subject value and the bare words once each, all cases in one process.
  const readings = readWithPythonEmail(python, cases.flatMap((c) => [`Re: ${c.words} ok`, c.words]));
  let policyDefaultAgreed = 0;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const [subject, words] = [readings[2 * i]!, readings[2 * i + 1]!];
    assert.equal(subject.decodeHeaderError, null, `${c.name}: Python decode_header failed`);
    assert.equal(subject.decodeHeader, `Re: ${c.text} ok`, `${c.name}: Python subject`);
    assert.equal(words.decodeHeader, c.text, `${c.name}: Python words`);
    const ours = ourSplitReadings(c);
    assert.deepEqual(ours, splitExpected(subject.decodeHeader, words.decodeHeader), c.name);
    // policy.default decodes word by word and rejoins only UTF-8 bytes: it agrees for UTF-8 and single-byte charsets.
    if (subject.policyDefault === ours.subject) policyDefaultAgreed++;
    else assert.ok(c.charset !== 'utf-8' && c.name.includes('mid-character'), `${c.name}: policy.default read ${JSON.stringify(subject.policyDefault)}`);
  }
  const n = cases.length;
  t.diagnostic(`split characters: Python decode_header agrees on ${n}/${n} cases (5 fields each); policy.default's subject on ${policyDefaultAgreed}/${n}`);
});

test('agrees with postal-mime on characters split across adjacent encoded words wherever postal-mime joins the words', async (t) => {
  const cases = splitCases();
  let agreed = 0;
  let joinable = 0;
  for (const c of cases) {
    const pm = await PostalMime.parse(splitMessage(c));
    const theirs: SplitReadings = { subject: pm.subject, from: pm.from?.name, to: pm.to?.[0]?.name, replyTo: pm.replyTo?.[0]?.name, filename: pm.attachments[0]?.filename };
    const ours = ourSplitReadings(c);
    assert.deepEqual(ours, splitExpected(`Re: ${c.text} ok`, c.text), c.name);
    if (c.postalJoins) {
      joinable++;
      assert.deepEqual(theirs, ours, `${c.name}: postal-mime`);
    }
    if (JSON.stringify(theirs) === JSON.stringify(ours)) agreed++;
    else assert.ok(c.name.includes('mid-character') && JSON.stringify(theirs).includes('\ufffd'), `${c.name}: postal-mime read ${JSON.stringify(theirs)}`);
  }
  const n = cases.length;
  t.diagnostic(
    `split characters: postal-mime agrees on ${agreed}/${n} cases: all ${joinable} whose words it joins and ${agreed - joinable} it reads word by word ` +
      `(single-byte charsets); it breaks the character in the other ${n - agreed} (mixed B/Q, padded B halves, labels in two cases)`,
  );
});
