import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RawClient, startServer } from './helpers.js';

// One whole session as the client sends it; the server must answer the same whatever the TCP segmentation.
const SESSION = Buffer.from(
  'EHLO split.test\r\n' +
    'MAIL FROM:<a@example.com> SIZE=100\r\n' +
    'RCPT TO:<b@example.com>\r\n' +
    'DATA\r\n' +
    'Subject: split\r\n\r\n..one\r\n.\r\n' +
    'MAIL FROM:<a@example.com>\r\n' +
    'RCPT TO:<c@example.com>\r\n' +
    'BDAT 9\r\nline on\r\n' +
    'BDAT 7 LAST\r\nend\r\n\r\n' +
    'QUIT\r\n',
  'latin1',
);

async function playSession(port: number, cuts: number[]): Promise<string> {
  const c = await RawClient.connect(port);
  const points = [...new Set(cuts.filter((x) => x > 0 && x < SESSION.length))].sort((a, b) => a - b);
  let offset = 0;
  for (const end of [...points, SESSION.length]) {
    c.write(SESSION.subarray(offset, end));
    offset = end;
    // Let each piece travel as its own segment.
    await new Promise((r) => setImmediate(r));
  }
  await c.waitClosed();
  return c.reads.join('');
}

for (const async of [false, true]) {
  test(`the same session split into random write sizes gives the same replies and the same body bytes (${async ? 'asynchronous' : 'synchronous'} backend)`, async () => {
    const h = await startServer({}, { async });
    const reference = await playSession(h.port, []);
    assert.match(reference, /221 2\.0\.0 Bye\r\n$/);
    const bodies = h.backend.messages.map((m) => m.body.toString('latin1'));
    assert.deepEqual(bodies, ['Subject: split\r\n\r\n.one\r\n', 'line on\r\nend\r\n\r\n']);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: SESSION.length - 1 }), { maxLength: 25 }), async (cuts) => {
        h.backend.messages.length = 0;
        const replies = await playSession(h.port, cuts);
        assert.equal(replies, reference);
        assert.deepEqual(h.backend.messages.map((m) => m.body.toString('latin1')), bodies);
      }),
      { numRuns: 30 },
    );
    // And byte by byte.
    h.backend.messages.length = 0;
    assert.equal(await playSession(h.port, Array.from({ length: SESSION.length }, (_, i) => i)), reference);
    await h.stop();
  });
}
