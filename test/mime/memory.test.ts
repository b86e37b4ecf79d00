import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const parserUrl = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'mime', 'index.js')).href;

// Runs in a child `node --expose-gc` so that gc() and the heap figures belong to this measurement alone.
const CHILD = `
import { MessageParser } from ${JSON.stringify(parserUrl)};
const CHUNK = 64 * 1024;
const ATTACHMENT = 29 * 1024 * 1024;
const html = '<html><body>' + '<p>kept paragraph</p>'.repeat(1000) + '</body></html>';
function* message(attachmentBytes = ATTACHMENT) {
  yield Buffer.from('From: a@example.com\\r\\nTo: b@example.com\\r\\nSubject: big\\r\\nContent-Type: multipart/mixed; boundary="mixed-b"\\r\\n\\r\\n' +
    '--mixed-b\\r\\nContent-Type: text/html; charset=utf-8\\r\\n\\r\\n' + html + '\\r\\n' +
    '--mixed-b\\r\\nContent-Type: application/pdf; name="big.pdf"\\r\\nContent-Disposition: attachment; filename="big.pdf"\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n');
  // One 64 KB block of 76-character base64 lines, yielded again and again: the message is never in memory.
  const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\\r\\n');
  const block = Buffer.alloc(Math.floor(CHUNK / line.length) * line.length);
  for (let o = 0; o < block.length; o += line.length) line.copy(block, o);
  for (let sent = 0; sent < attachmentBytes; sent += block.length) yield block;
  yield Buffer.from('--mixed-b--\\r\\n');
}
const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
// Warm up on a small message of the same shape, so that compiled code is not counted as message memory.
for (let i = 0; i < 20; i++) {
  const warm = new MessageParser();
  for (const chunk of message(64 * 1024)) warm.write(chunk);
  warm.end();
}
const parser = new MessageParser();
globalThis.gc(); globalThis.gc();
const base = used();
let peak = 0, n = 0, total = 0;
for (const chunk of message()) {
  parser.write(chunk);
  total += chunk.length;
  if (++n % 32 === 0) { globalThis.gc(); peak = Math.max(peak, used() - base); }
}
const result = parser.end();
globalThis.gc();
peak = Math.max(peak, used() - base);
process.stdout.write(JSON.stringify({ peak, total, htmlLength: result.html.length, htmlOk: result.html === html, dropped: result.dropped }));
`;

test('keeps heap growth under 2 MB beyond the HTML while a 30 MB message with a 29 MB attachment streams through', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { peak: number; total: number; htmlLength: number; htmlOk: boolean; dropped: Array<{ size: number; filename: string }> };
  assert.ok(out.total > 30_000_000, `message of ${out.total} bytes`);
  assert.equal(out.htmlOk, true);
  assert.equal(out.dropped.length, 1);
  assert.equal(out.dropped[0]!.filename, 'big.pdf');
  const beyondHtml = out.peak - out.htmlLength * 3; // the kept bytes, plus the decoded string (up to 2 bytes per char)
  process.stdout.write(`# heap growth ${(out.peak / 1024).toFixed(0)} KiB for ${(out.total / 1048576).toFixed(1)} MiB streamed\n`);
  assert.ok(beyondHtml < 2 * 1024 * 1024, `heap grew ${out.peak} bytes beyond the HTML`);
});
