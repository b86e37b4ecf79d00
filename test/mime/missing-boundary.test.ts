// A multipart whose delimiter never appears in its body (a relay that stripped the MIME structure, a broken
// generator): it has no parts, and the PartVisitor shows its text as its body, as Python's email reads it (the
// payload is the text, with a StartBoundaryNotFoundDefect). The relay's kept body is unchanged: like Python's
// get_body() and postal-mime, it finds no text part there.
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageParser, parseMessageSync } from '../../src/mime/index.js';
import type { VisitedPart } from '../../src/mime/part-visitor.js';
import { findPython } from './python-email.js';

function visit(raw: string, chunk = raw.length): VisitedPart[] {
  const parts: VisitedPart[] = [];
  const p = new MessageParser({}, { maxBodyBytes: 1 << 20, onPart: (x) => parts.push(x) });
  const buf = Buffer.from(raw, 'utf8');
  for (let i = 0; i < buf.length; i += chunk) p.write(buf.subarray(i, i + chunk));
  p.end();
  return parts;
}

const summary = (parts: VisitedPart[]) => parts.map((p) => [p.type, p.body.toString('utf8')]);

const CASES: Record<string, string> = {
  'no delimiter at all': 'Content-Type: multipart/report; report-type=delivery-status;\r\n    boundary="B/x.example"\r\n\r\nFinal-Recipient: rfc822; a@x.example\r\nAction: failed\r\n',
  'a nested multipart without its own delimiter': 'Content-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\ninner text\r\n--out\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--out--\r\n',
  'delimiters present': 'Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b--\r\nepilogue\r\n',
};

test('a multipart without any delimiter of its own is visited with its text as body', () => {
  assert.deepEqual(summary(visit(CASES['no delimiter at all']!)), [['multipart/report', 'Final-Recipient: rfc822; a@x.example\r\nAction: failed\r\n']]);
  assert.deepEqual(summary(visit(CASES['a nested multipart without its own delimiter']!)), [
    ['multipart/mixed', ''],
    ['multipart/alternative', 'inner text'],
    ['text/plain', 'second'],
  ]);
  // With delimiters the preamble stays out, and every multipart is seen before its parts.
  assert.deepEqual(summary(visit(CASES['delimiters present']!)), [['multipart/mixed', ''], ['text/plain', 'one']]);
  // Byte by byte: the same parts.
  for (const raw of Object.values(CASES)) assert.deepEqual(summary(visit(raw, 1)), summary(visit(raw)));
});

test('the body of a delimiter-less multipart is cut at maxBodyBytes', () => {
  const parts: VisitedPart[] = [];
  const p = new MessageParser({}, { maxBodyBytes: 10, onPart: (x) => parts.push(x) });
  p.write(Buffer.from('Content-Type: multipart/mixed; boundary=zz\r\n\r\n' + 'x'.repeat(100) + '\r\n'));
  p.end();
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.body.toString(), 'x'.repeat(10));
  assert.equal(parts[0]!.truncated, true);
});

test('the kept body is unchanged: no text part is found in a delimiter-less multipart', () => {
  const m = parseMessageSync(Buffer.from(CASES['no delimiter at all']!));
  assert.equal(m.text, null);
  assert.equal(m.html, null);
});

test('agrees with Python email on which multiparts have parts and what text the others hold', (t) => {
  const python = findPython();
  if (python === null) {
    t.skip('python3 not found: apt-get install python3');
    return;
  }
  const script = `
import email, email.policy, json, sys
out = []
for raw in json.load(sys.stdin):
    m = email.message_from_bytes(raw.encode("utf-8"), policy=email.policy.compat32)
    out.append([[p.get_content_type(), "" if p.is_multipart() else p.get_payload()] for p in m.walk()])
json.dump(out, sys.stdout)
`;
  const raws = Object.values(CASES);
  const r = spawnSync(python, ['-c', script], { input: JSON.stringify(raws), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const readings = JSON.parse(r.stdout) as Array<Array<[string, string]>>;
  raws.forEach((raw, i) => {
    // Python keeps the line break before an outer delimiter in the inner text (RFC 2046 gives it to the delimiter).
    const norm = (body: string) => body.replace(/\r\n/g, '\n').replace(/\n$/, '');
    const ours = summary(visit(raw)).map(([type, body]) => [type, norm(body!)]);
    const theirs = readings[i]!.map(([type, body]) => [type, norm(body)]);
    assert.deepEqual(ours, theirs, Object.keys(CASES)[i]);
  });
});
