// DKIM signatures checked by two independent verifiers, python3-dkim and mailauth: every signature must pass both.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { composeMessage, encodeHtml, type ComposeInput } from '../../src/mime/index.js';
import { DkimSigner, prepareBody } from '../../src/relay/dkim/index.js';
import { needTool } from '../support/system-tools.js';
import { ED_KEY, RECORDS, RSA_KEY } from './keys.js';
import { mailauthVerdicts, pythonDkimVerdicts } from './verifiers.js';

const rsaSigner = new DkimSigner({ keys: [RSA_KEY], workers: 2 });
const edSigner = new DkimSigner({ keys: [ED_KEY], workers: 1 });
const dualSigner = new DkimSigner({ keys: [RSA_KEY, ED_KEY], workers: 2 });
after(() => Promise.all([rsaSigner.close(), edSigner.close(), dualSigner.close()]));

function compose(over: Partial<ComposeInput> = {}): Buffer {
  return composeMessage({
    from: { name: 'Zoë Ünïcode — Shop', address: 'orders@mail.example.com' },
    to: { name: 'Jürgen Groß', address: 'juergen@example.org' },
    replyTo: { name: 'Support', address: 'support@example.com' },
    subject: 'Ihre Bestellung Nr. 42 — 12,00 € ✓ 注文',
    html: '<html><body><p>Hallo  Jürgen,\t  danke!   </p>\r\n\r\n\r\n</body></html>\r\n',
    ...over,
  });
}

function paragraphs(bytes: number, word: string): string {
  let s = '<html><body>\r\n';
  for (let k = 0; s.length < bytes; k++) s += `<p>${word} ${k}: the quick brown fox  jumps over the lazy dog.\t</p>\r\n`;
  return `${s}</body></html>\r\n`;
}

interface Case {
  name: string;
  message: Buffer;
  signatures: number;
}

const cases: Promise<Case[]> = (async () => {
  const out: Case[] = [];
  const plain = compose();
  out.push({ name: 'rsa-sha256, non-ASCII names and subject', message: await rsaSigner.sign(plain), signatures: 1 });
  out.push({ name: 'ed25519-sha256, non-ASCII names and subject', message: await edSigner.sign(plain), signatures: 1 });
  out.push({ name: 'dual signing, RSA and Ed25519', message: await dualSigner.sign(plain), signatures: 2 });
  const qp = compose({ html: paragraphs(120_000, 'Straße') });
  assert.match(qp.toString('latin1', 0, 2000), /Content-Transfer-Encoding: quoted-printable/i);
  out.push({ name: 'dual signing, 120 KB quoted-printable HTML', message: await dualSigner.sign(qp), signatures: 2 });
  const b64 = compose({ html: paragraphs(120_000, 'Привет мир, это длинное письмо') });
  assert.match(b64.toString('latin1', 0, 2000), /Content-Transfer-Encoding: base64/i);
  out.push({ name: 'dual signing, 120 KB base64 HTML', message: await dualSigner.sign(b64), signatures: 2 });
  // One body for ten recipients: hashed once, each recipient's message signed with that hash.
  const html = encodeHtml(paragraphs(30_000, 'Newsletter'));
  const perRecipient = Array.from({ length: 10 }, (_, i) =>
    composeMessage({ from: { name: 'News', address: 'news@example.com' }, to: { name: `Empfänger ${i}`, address: `r${i}@example.net` }, subject: 'Neuigkeiten', html }),
  );
  const body = prepareBody(perRecipient[0]!);
  for (const [i, m] of perRecipient.entries()) {
    out.push({ name: `body hash reused, recipient ${i}`, message: await dualSigner.sign(m, body), signatures: 2 });
  }
  return out;
})();

/** The message with one change after signing, which every verifier must catch. */
function tamper(message: Buffer, from: string, to: string): Buffer {
  const text = message.toString('latin1');
  assert.ok(text.includes(from), `cannot tamper: ${from} not found`);
  return Buffer.from(text.replace(from, to), 'latin1');
}

describe('signatures verified by mailauth', () => {
  test('every case passes, every signature', async () => {
    for (const c of await cases) {
      const verdicts = await mailauthVerdicts(c.message, RECORDS);
      assert.deepEqual(verdicts, Array(c.signatures).fill('pass'), c.name);
    }
  });

  test('a changed body or subject fails', async () => {
    const [rsa, , dual] = await cases;
    const body = tamper(rsa!.message, 'danke!', 'dankE!');
    assert.notDeepEqual(await mailauthVerdicts(body, RECORDS), ['pass']);
    const signed = dual!.message.toString('latin1');
    const subject = signed.match(/^Subject: (.*)$/m)![1]!;
    const verdicts = await mailauthVerdicts(tamper(dual!.message, `Subject: ${subject}`, 'Subject: Gewonnen!'), RECORDS);
    assert.equal(verdicts.length, 2);
    assert.ok(verdicts.every((v) => v !== 'pass'), verdicts.join(', '));
  });
});

describe('signatures verified by python3-dkim', { skip: needTool('dkim') }, () => {
  test('every case passes, every signature (one python3 process)', async () => {
    const all = await cases;
    const verdicts = await pythonDkimVerdicts(all.map((c) => c.message), RECORDS);
    all.forEach((c, i) => assert.deepEqual(verdicts[i], Array(c.signatures).fill('pass'), c.name));
  });

  test('a changed body or subject fails', async () => {
    const [rsa, ed, dual] = await cases;
    const subject = dual!.message.toString('latin1').match(/^Subject: (.*)$/m)![1]!;
    const verdicts = await pythonDkimVerdicts(
      [
        tamper(rsa!.message, 'danke!', 'dankE!'),
        tamper(ed!.message, 'danke!', 'danke!!'),
        tamper(dual!.message, `Subject: ${subject}`, 'Subject: Gewonnen!'),
      ],
      RECORDS,
    );
    for (const v of verdicts.flat()) assert.notEqual(v, 'pass');
    assert.equal(verdicts.flat().length, 4);
  });
});

describe('what is signed', () => {
  test('h= over-signs From and lists the present fields; c=relaxed/relaxed; lines within 78 columns', async () => {
    const [rsa] = await cases;
    const text = rsa!.message.toString('latin1');
    const header = text.slice(0, text.indexOf('\r\n', text.indexOf('b=')) + 2);
    for (const line of header.split('\r\n')) assert.ok(line.length <= 78, `line of ${line.length} columns: ${line}`);
    const unfolded = text.slice(0, text.indexOf('\r\nFrom:')).replace(/\r\n /g, ' ');
    const h = unfolded.match(/h=([^;]*);/)![1]!.replace(/\s/g, '');
    assert.equal(h, 'From:From:To:Subject:Date:Message-ID:Reply-To:MIME-Version:Content-Type:Content-Transfer-Encoding');
    assert.match(unfolded, /c=relaxed\/relaxed;/);
    assert.match(unfolded, /t=\d+;/);
  });

  test('x= is t= plus expireSeconds when set', async () => {
    const signer = new DkimSigner({ keys: [ED_KEY], workers: 0, expireSeconds: 86_400 });
    const signed = await signer.sign(compose());
    const [, t, x] = signed.toString('latin1').match(/t=(\d+); x=(\d+);/)!;
    assert.equal(Number(x) - Number(t), 86_400);
    assert.deepEqual(await mailauthVerdicts(signed, RECORDS), ['pass']);
  });

  test('a subdomain of the key domain is signed (relaxed alignment); another domain is not', async () => {
    const signer = new DkimSigner({ keys: [ED_KEY], workers: 0 });
    const sub = await signer.sign(compose({ from: { address: 'a@deep.mail.example.com' } }));
    assert.match(sub.toString('latin1'), /^DKIM-Signature: .* d=example\.com;/);
    const other = compose({ from: { address: 'a@example.org' } });
    assert.equal(await signer.sign(other), other);
    const lookalike = compose({ from: { address: 'a@notexample.com' } });
    assert.equal(await signer.sign(lookalike), lookalike);
  });

  test('a prepared body hash of another body is refused', async () => {
    const signer = new DkimSigner({ keys: [ED_KEY], workers: 0 });
    const body = prepareBody(compose({ html: '<p>one</p>' }));
    await assert.rejects(signer.sign(compose({ html: '<p>another, longer</p>' }), body), { name: 'DkimError', kind: 'body' });
  });
});
