// Servers under test run in a child process and report their own CPU time over IPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../../bench/loadgen.js';
import { cpuMicrosBetween, startServerChild } from '../../bench/servers/child.js';

const SMTP_SERVER_DISCARD = new URL('../../bench/servers/smtp-server-discard.js', import.meta.url);

test('a server child reports its port, its CPU time growing under load, and stops on request', async () => {
  const child = await startServerChild(SMTP_SERVER_DISCARD, {});
  try {
    assert.ok(child.port > 0);
    const before = await child.stats();
    const r = await runLoad({ port: child.port, sessions: 2, count: 10, messagesPerConnection: 0 });
    const after = await child.stats();
    assert.equal(r.messages, 10);
    assert.ok(cpuMicrosBetween(before, after) > 0);
    assert.ok(after.memory.rss > 0);
  } finally {
    await child.stop();
  }
  await assert.rejects(runLoad({ port: child.port, sessions: 1, count: 1 }).then((r) => (r.messages === 0 ? Promise.reject(new Error('refused')) : r)));
});

test('overlapping stats requests each get their own answer', async () => {
  const child = await startServerChild(SMTP_SERVER_DISCARD, {});
  try {
    const all = await Promise.all([child.stats(), child.stats(), child.stats()]);
    assert.equal(all.length, 3);
    assert.ok(all[0]!.cpu.user <= all[2]!.cpu.user, 'answers come back in request order');
  } finally {
    await child.stop();
  }
});

test('a server child that fails to start rejects with its error', async () => {
  const engine = new URL('../../bench/servers/smtp-server-discard.js', import.meta.url);
  await assert.rejects(startServerChild(engine, { tls: { keyPath: '/nonexistent/key.pem', certPath: '/nonexistent/cert.pem' } }), /server child failed/);
});
