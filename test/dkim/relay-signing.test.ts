// DKIM through the whole relay: keys in the account's configuration, a message sent over SMTP, the outbound .eml
// verified by independent verifiers (mailauth; python3-dkim when installed), never by our own code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { simpleParser } from 'mailparser';
import { join } from 'node:path';
import { relayPerSuite, sendWithNodemailer, waitForSubject, rawOutbox, type TestRelay } from '../relay/relay-harness.js';
import { needTool } from '../support/system-tools.js';
import { RECORDS, edPem, rsaPem } from './keys.js';
import { mailauthVerdicts, pythonDkimVerdicts } from './verifiers.js';

/** The raw .eml files of the outbox whose decoded subject is `subject`, once `count` of them are there. */
async function outboundWithSubject(folder: string, subject: string, count = 1): Promise<Buffer[]> {
  await waitForSubject(folder, subject, count);
  const out: Buffer[] = [];
  for (const name of await rawOutbox(folder)) {
    const raw = await readFile(join(folder, name));
    if ((await simpleParser(raw)).subject === subject) out.push(raw);
  }
  return out;
}

describe('relay DKIM signing (issue 15 §2)', () => {
  let t: TestRelay;
  relayPerSuite((r) => (t = r), (json, dir) => {
    // Written here, before validateConfig reads and checks them.
    writeFileSync(join(dir, 'rsa.pem'), rsaPem, { mode: 0o600 });
    writeFileSync(join(dir, 'ed.pem'), edPem, { mode: 0o600 });
    const a = json.accounts[0]!;
    a['dkim'] = [
      { domain: 'example.com', selector: 'rsa2026', algorithm: 'rsa-sha256', privateKeyFile: join(dir, 'rsa.pem') },
      { domain: 'example.com', selector: 'ed2026', algorithm: 'ed25519-sha256', privateKeyFile: join(dir, 'ed.pem') },
    ];
    a['routes'] = {
      main: { type: 'file', path: join(dir, 'out-main') },
      unsigned: { type: 'file', path: join(dir, 'out-unsigned'), dkim: false },
    };
    a['defaultRoute'] = 'main';
  });

  test('a message from the key\'s domain leaves with an RSA and an Ed25519 signature that mailauth verifies', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: '"Shöp Ünïcode" <shop@mail.example.com>',
      to: ['"Jürgen Müller" <j@example.net>', 'Ann <ann@example.net>'],
      subject: 'Signed ✓ order',
      html: `<p>${'Thank you for your order. '.repeat(2000)}</p>`,
    });
    assert.equal(r.code, 250, r.response);
    const mails = await outboundWithSubject(t.outbox('out-main'), 'Signed ✓ order', 2);
    assert.equal(mails.length, 2, 'both recipients\' messages are in the outbox');
    for (const raw of mails) {
      assert.match(raw.toString('latin1'), /^DKIM-Signature: v=1; a=rsa-sha256/m);
      assert.match(raw.toString('latin1'), /^DKIM-Signature: v=1; a=ed25519-sha256/m);
      assert.deepEqual(await mailauthVerdicts(raw, RECORDS), ['pass', 'pass']);
    }
  });

  test('python3-dkim verifies the relay\'s signatures too', { skip: needTool('dkim') }, async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'py@example.net', subject: 'python verifies', html: '<p>py</p>' });
    assert.equal(r.code, 250, r.response);
    const mails = await outboundWithSubject(t.outbox('out-main'), 'python verifies');
    assert.equal(mails.length, 1);
    assert.deepEqual(await pythonDkimVerdicts(mails, RECORDS), [['pass', 'pass']]);
  });

  test('a changed body fails verification (the check can fail)', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 't@example.net', subject: 'tamper', html: '<p>original</p>' });
    assert.equal(r.code, 250, r.response);
    const [raw] = await outboundWithSubject(t.outbox('out-main'), 'tamper');
    const tampered = Buffer.from(raw!.toString('latin1').replace('original', 'forged!!'), 'latin1');
    const verdicts = await mailauthVerdicts(tampered, RECORDS);
    assert.ok(verdicts.every((v) => v !== 'pass'), verdicts.join('; '));
  });

  test('a route with "dkim": false and a From outside the key domains leave unsigned', async () => {
    const r1 = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'u@example.net', subject: 'unsigned route', html: '<p>u</p>', headers: { 'X-Transactional-Route': 'unsigned' } });
    assert.equal(r1.code, 250, r1.response);
    const [u] = await outboundWithSubject(t.outbox('out-unsigned'), 'unsigned route');
    assert.doesNotMatch(u!.toString('latin1'), /^DKIM-Signature:/m);
    const r2 = await sendWithNodemailer(t.port, { from: 'shop@other.example', to: 'o@example.net', subject: 'other domain', html: '<p>o</p>' });
    assert.equal(r2.code, 250, r2.response);
    const [o] = await outboundWithSubject(t.outbox('out-main'), 'other domain');
    assert.doesNotMatch(o!.toString('latin1'), /^DKIM-Signature:/m);
  });
});

