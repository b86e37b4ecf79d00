import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.js');

function run(args: string[], input?: string) {
  return spawnSync(process.execPath, [cli, 'inspect', ...args], { encoding: 'utf8', input, timeout: 20_000 });
}

const MESSAGE =
  'From: "Shop" <shop@example.com>\r\nTo: Ann <ann@example.org>\r\nSubject: =?utf-8?Q?Order_=E2=9C=93?=\r\nX-Auth-APIKey: secret-key\r\n' +
  'X-Transactional-Tag: orders\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/html\r\n\r\n<p>Thanks</p>\r\n' +
  '--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=invoice.pdf\r\n\r\nPDF\r\n--m--\r\n';

test('inspect prints stable JSON of what the relay keeps, hiding the API key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-inspect-'));
  const file = join(dir, 'msg.eml');
  await writeFile(file, MESSAGE);
  const r = run([file]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(out, {
    html: '<p>Thanks</p>',
    text: null,
    subject: 'Order ✓',
    from: { name: 'Shop', address: 'shop@example.com' },
    to: [{ name: 'Ann', address: 'ann@example.org' }],
    replyTo: null,
    tag: 'orders',
    route: null,
    template: null,
    variables: null,
    apiKey: 'present',
    dropped: [{ type: 'application/pdf', disposition: 'attachment', filename: 'invoice.pdf', size: 3 }],
  });
  assert.doesNotMatch(r.stdout, /secret-key/);
  assert.equal(r.stdout.indexOf('"apiKey"') < r.stdout.indexOf('"dropped"'), true, 'keys sorted');
});

test('inspect reads standard input for "-"', () => {
  const r = run(['-'], MESSAGE);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { subject: string }).subject, 'Order ✓');
});

test('inspect exits 1 with the limit on stderr when a parse limit is passed', () => {
  const r = run([], 'A: 1\r\n'.repeat(2000) + '\r\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /maxHeaderCount/);
});

test('inspect exits 2 with a clear error for an unreadable file', () => {
  const r = run(['/nonexistent/txrelay/message.eml']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot read \/nonexistent\/txrelay\/message\.eml: no such file/);
});

test('inspect shows a name-only To entry as {"name": "Jane Doe", "address": null}, with LF line endings', () => {
  const r = run(['-'], 'From: shop@example.com\nTo: Jane Doe, "Doe, Bob"\nSubject: s\nContent-Type: text/html\n\n<p>x</p>\n');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { to: unknown; html: string };
  assert.deepEqual(out.to, [{ name: 'Jane Doe', address: null }, { name: 'Doe, Bob', address: null }]);
  assert.equal(out.html, '<p>x</p>\n');
});

test('a reader that closes the pipe early ends the command quietly (no EPIPE stack trace)', () => {
  const big = 'From: a@example.com\r\nTo: b@example.com\r\nContent-Type: text/html\r\n\r\n' + '<p>x</p>\r\n'.repeat(200_000);
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${cli}" inspect - | head -c 10 >/dev/null`], { encoding: 'utf8', input: big, timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|Error/);
});
