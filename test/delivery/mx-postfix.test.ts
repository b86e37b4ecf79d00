// Postfix as the receiving MX host: the relay's mx route delivers through dnsmasq to a private Postfix instance,
// which delivers into a Maildir; the DKIM signatures of the delivered message (RSA-2048 and Ed25519) are checked
// AFTER that trip by independent verifiers, python3-dkim and mailauth, never by our own code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needTool } from '../support/system-tools.js';
import { RECORDS, edPem, rsaPem } from '../dkim/keys.js';
import { mailauthVerdicts, pythonDkimVerdicts } from '../dkim/verifiers.js';
import { startDnsmasq, type Dnsmasq } from './mx/dnsmasq.js';
import { freeTcpPort } from './mx/mx-receiver.js';
import { needRoot, startPostfixMx, type PostfixMx } from './mx/postfix-mx.js';
import { removeDir, sendWithNodemailer, startTestRelay, type TestRelay } from '../relay/relay-harness.js';

const HOST = '127.0.0.131';

describe('the mx route delivering to a private Postfix instance', { skip: needTool('dnsmasq', 'postfix') || needRoot() }, () => {
  let dns: Dnsmasq;
  let postfix: PostfixMx;
  let t: TestRelay;

  before(async () => {
    dns = await startDnsmasq(['--mx-host=postfix.test,mx.postfix.test,10', `--host-record=mx.postfix.test,${HOST}`]);
    const port = await freeTcpPort();
    postfix = await startPostfixMx({ host: HOST, port, domain: 'postfix.test' });
    t = await startTestRelay((json, dir) => {
      writeFileSync(join(dir, 'rsa.pem'), rsaPem, { mode: 0o600 });
      writeFileSync(join(dir, 'ed.pem'), edPem, { mode: 0o600 });
      const a = json.accounts[0]!;
      a['dkim'] = [
        { domain: 'example.com', selector: 'rsa2026', algorithm: 'rsa-sha256', privateKeyFile: join(dir, 'rsa.pem') },
        { domain: 'example.com', selector: 'ed2026', algorithm: 'ed25519-sha256', privateKeyFile: join(dir, 'ed.pem') },
      ];
      (a['routes'] as Record<string, unknown>)['main'] = { type: 'mx', port, dnsServers: [dns.server], mtaSts: false, connectTimeoutMs: 2_000 };
    });
  });
  after(async () => {
    await t?.stop();
    await postfix?.close();
    await dns?.close();
    if (t) await removeDir(t.dir);
  });

  test('Postfix delivers the message; both signatures pass python3-dkim and mailauth after the trip', { skip: needTool('dkim') }, async () => {
    const r = await sendWithNodemailer(t.port, {
      from: '"Shöp Ünïcode" <shop@mail.example.com>',
      to: ['"Jürgen Müller" <j@postfix.test>', 'Ann <ann@postfix.test>'],
      subject: 'Через Postfix ✓ order',
      html: `<p>${'Thank you for your order — danke schön. '.repeat(400)}</p>`,
    });
    assert.equal(r.code, 250, r.response);
    const mails = await postfix.waitForMessages(2);
    assert.equal(mails.length, 2);
    for (const raw of mails) {
      const text = raw.toString('latin1');
      // Postfix's own trace: it received the message over SMTP from the relay and delivered it.
      assert.match(text, /^Received: from \S+ \(\S* ?\[127\.0\.0\.\d+\]\)\r?\n\s+by mx\.postfix\.test \(Postfix\)/m, text.slice(0, 1500));
      assert.match(text, /^Delivered-To: (j|ann)@postfix\.test/m);
      assert.match(text, /^DKIM-Signature: v=1; a=rsa-sha256/m);
      assert.match(text, /^DKIM-Signature: v=1; a=ed25519-sha256/m);
      assert.deepEqual(await mailauthVerdicts(raw, RECORDS), ['pass', 'pass']);
    }
    const python = await pythonDkimVerdicts(mails, RECORDS);
    assert.deepEqual(python, [['pass', 'pass'], ['pass', 'pass']]);
  });
});
