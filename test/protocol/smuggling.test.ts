import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, openTransaction, startServer } from './helpers.js';

// SMTP smuggling (CVE-2023-51764/5/6): a fake end-of-data followed by a second message must never be accepted.
const FAKE_ENDS: Record<string, string> = {
  '<LF>.<LF>': '\n.\n',
  '<LF>.<CR><LF>': '\n.\r\n',
  '<CR><LF>.<LF>': '\r\n.\n',
  '<CR>.<CR>': '\r.\r',
  '<CR><LF>.<CR>': '\r\n.\r',
  '<CR><CR><LF>.<CR><CR><LF>': '\r\r\n.\r\r\n',
  'bare CR inside a line': 'a\rb\r\n.\r\n',
  'bare LF inside a line': 'a\nb\r\n.\r\n',
};

for (const [name, fakeEnd] of Object.entries(FAKE_ENDS)) {
  test(`refuses ${name} inside DATA with 521 5.5.2 and never accepts a message smuggled behind it`, async () => {
    const h = await startServer();
    const c = await RawClient.connect(h.port);
    await openTransaction(c);
    await c.send('DATA');
    c.write(`Subject: first\r\n\r\nhello${fakeEnd}MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nowned\r\n.\r\n`);
    assert.equal(await c.reply(), '521 5.5.2 Bare CR or LF in message data; lines must end with CRLF\r\n');
    await c.waitClosed();
    assert.equal(c.rest, '', 'no reply after 521');
    await h.stop();
    assert.equal(h.backend.messages.length, 0);
    assert.ok(!h.backend.calls.includes('mail evil@attacker.test'), 'no smuggled MAIL reached the backend');
    assert.ok(!h.backend.calls.includes('end'), 'no sink completed');
    assert.deepEqual(h.backend.aborted, ['session ended']);
  });
}

test('refuses a bare LF split across two writes just before the dot', async () => {
  const h = await startServer();
  const c = await RawClient.connect(h.port);
  await openTransaction(c);
  await c.send('DATA');
  c.write('line\r\nx\n');
  await new Promise((r) => setTimeout(r, 20));
  c.write('.\r\n');
  assert.equal((await c.reply())?.slice(0, 9), '521 5.5.2');
  await c.waitClosed();
  await h.stop();
  assert.equal(h.backend.messages.length, 0);
});
