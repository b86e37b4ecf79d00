import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, code, openTransaction, startServer } from './helpers.js';

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

const SMUGGLED = 'MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nowned\r\n.\r\n';

for (const [name, fakeEnd] of Object.entries(FAKE_ENDS)) {
  test(`refuses ${name} inside DATA with 521 5.5.2 and never accepts a message smuggled behind it (strict)`, async () => {
    const h = await startServer({ lineEndings: 'strict' });
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

// Normalize mode (the default): a fake end with a bare LF is content of the one message; one with a bare CR is
// refused. Either way at most one transaction happens and the smuggled MAIL FROM is never executed.
// ('bare LF inside a line' ends with a real CRLF.CRLF: what follows it is the client's own next command.)
const BARE_CR = /\r(?!\n)/;
for (const [name, fakeEnd] of Object.entries(FAKE_ENDS).filter(([, seq]) => !seq.includes('\r\n.\r\n'))) {
  const refused = BARE_CR.test(fakeEnd);
  test(`${refused ? 'refuses' : 'keeps as content of one message'} ${name} inside DATA (normalize), never executing a smuggled MAIL FROM`, async () => {
    const h = await startServer();
    const c = await RawClient.connect(h.port);
    await openTransaction(c);
    await c.send('DATA');
    c.write(`Subject: first\r\n\r\nhello${fakeEnd}${SMUGGLED}`);
    if (refused) {
      assert.equal(await c.reply(), '521 5.5.2 Bare CR in message data\r\n');
      await c.waitClosed();
      assert.equal(h.backend.messages.length, 0);
    } else {
      assert.match((await c.reply()) ?? '', /^250 /);
      assert.equal(code(await c.send('QUIT')), '221 2.0.0');
      assert.equal(h.backend.messages.length, 1);
      assert.match(h.backend.messages[0]!.body.toString('latin1'), /MAIL FROM:<evil@attacker\.test>/, 'the smuggled text is body');
    }
    await h.stop();
    assert.ok(!h.backend.calls.includes('mail evil@attacker.test'), 'no smuggled MAIL reached the backend');
  });
}

test('refuses a bare LF split across two writes just before the dot (strict)', async () => {
  const h = await startServer({ lineEndings: 'strict' });
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
