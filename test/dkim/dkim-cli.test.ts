// `txrelay dkim-keygen` and `txrelay dkim-check` as a user runs them; dkim-check asks a real DNS server (dnsmasq).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { composeMessage } from '../../src/mime/index.js';
import { DkimSigner, dkimRecordText } from '../../src/relay/dkim/index.js';
import { needTool } from '../support/system-tools.js';
import { edPem } from './keys.js';
import { mailauthVerdicts, pythonDkimVerdicts } from './verifiers.js';
import { startDnsmasq, type Dnsmasq } from '../delivery/mx/dnsmasq.js';

const cli = resolve('dist/src/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'txrelay-dkim-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function txrelay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The record text from the printed zone line: its quoted strings joined. */
function printedRecord(stdout: string, name: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} IN TXT `));
  assert.ok(line, `no zone line for ${name} in:\n${stdout}`);
  const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  for (const s of strings) assert.ok(s.length <= 255);
  return strings.join('');
}

describe('txrelay dkim-keygen', () => {
  for (const algorithm of ['rsa-sha256', 'ed25519-sha256'] as const) {
    test(`${algorithm}: writes the key with mode 0600 and prints a record that verifies signatures`, async () => {
      const out = join(dir, `${algorithm}.pem`);
      const r = await txrelay(['dkim-keygen', '--domain', 'shop.example', '--selector', 's2026', '--algorithm', algorithm, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      const record = printedRecord(r.stdout, 's2026._domainkey.shop.example');
      assert.match(record, algorithm === 'rsa-sha256' ? /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/ : /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
      const signer = new DkimSigner({ keys: [{ domain: 'shop.example', selector: 's2026', algorithm, privateKeyPem: readFileSync(out, 'utf8') }], workers: 0 });
      const signed = await signer.sign(composeMessage({ from: { address: 'a@shop.example' }, to: { address: 'b@example.org' }, subject: 'keygen', html: '<p>k</p>' }));
      const records = { 's2026._domainkey.shop.example': record };
      assert.deepEqual(await mailauthVerdicts(signed, records), ['pass']);
      if (needTool('dkim') === false) assert.deepEqual(await pythonDkimVerdicts([signed], records), [['pass']]);
    });
  }

  test('never overwrites a key, refuses fewer than 2048 bits, and needs --domain and --selector', async () => {
    const out = join(dir, 'rsa-sha256.pem');
    const again = await txrelay(['dkim-keygen', '--domain', 'shop.example', '--selector', 's2026', '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /never overwritten/);
    const small = await txrelay(['dkim-keygen', '--domain', 'shop.example', '--selector', 's', '--bits', '1024', '--out', join(dir, 'small.pem')]);
    assert.equal(small.code, 2);
    assert.match(small.stderr, /--bits must be an integer from 2048/);
    const missing = await txrelay(['dkim-keygen', '--domain', 'shop.example']);
    assert.equal(missing.code, 2);
  });
});

describe('txrelay dkim-check against dnsmasq', { skip: needTool('dnsmasq') }, () => {
  let dnsmasq: Dnsmasq | undefined;
  let server = '';
  const keyFile = join(dir, 'check-ed.pem');
  const otherFile = join(dir, 'other-ed.pem');

  before(async () => {
    writeFileSync(keyFile, edPem, { mode: 0o600 });
    const other = await txrelay(['dkim-keygen', '--domain', 'example.com', '--selector', 'x', '--algorithm', 'ed25519-sha256', '--out', otherFile]);
    assert.equal(other.code, 0, other.stderr);
    dnsmasq = await startDnsmasq([
      '--local=/example.com/',
      `--txt-record=s._domainkey.example.com,${dkimRecordText(createPrivateKey(edPem))}`,
      `--txt-record=stale._domainkey.example.com,${dkimRecordText(createPrivateKey(readFileSync(otherFile)))}`,
    ]);
    server = dnsmasq.server;
  });
  after(async () => {
    await dnsmasq?.close();
  });

  test('the published record of the key: ok, exit 0', async () => {
    const r = await txrelay(['dkim-check', '--domain', 'example.com', '--selector', 's', '--dns-server', server, '--key', keyFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /s\._domainkey\.example\.com: ok, the published record matches/);
  });

  test('a record of another key: says p= differs, exit 1', async () => {
    const r = await txrelay(['dkim-check', '--domain', 'example.com', '--selector', 'stale', '--dns-server', server, '--key', keyFile]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /does not match the key .*p= differs/);
  });

  test('no record: says so and prints the record to publish, exit 1', async () => {
    const r = await txrelay(['dkim-check', '--domain', 'example.com', '--selector', 'none', '--dns-server', server, '--key', keyFile]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /none\._domainkey\.example\.com: no TXT record/);
    assert.match(r.stdout, /IN TXT "v=DKIM1; k=ed25519; p=/);
  });
});
