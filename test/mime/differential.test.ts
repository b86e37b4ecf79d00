// Messages built by nodemailer (MailComposer and MimeNode trees), parsed by us, mailparser and postal-mime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import { simpleParser } from 'mailparser';
import PostalMime from 'postal-mime';
import { MessageParser, parseMessageSync, type ParsedMessage } from '../../src/mime/index.js';
import { lf } from './corpus-files.js';

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
