// SuppressionList: durable per-account lists in append-only files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SuppressionAccountError, SuppressionList } from '../../src/relay/storage/suppression-list.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'txrelay-suppression-'));
}

test('an added address is suppressed for its account only, with the domain compared case-insensitively', async () => {
  const dir = await tempDir();
  const list = await SuppressionList.open(dir);
  try {
    assert.equal(await list.add('acme', 'Bob@Example.COM', '550 5.1.1 no such user', 1000), true);
    assert.equal(list.has('acme', 'Bob@example.com'), true);
    assert.equal(list.has('acme', 'bob@example.com'), false, 'local parts are case-sensitive (RFC 5321 §2.4)');
    assert.equal(list.has('other', 'Bob@example.com'), false);
    assert.equal(await list.add('acme', 'Bob@EXAMPLE.com', 'again'), false, 'already listed');
    assert.deepEqual(list.list('acme'), [{ address: 'Bob@Example.COM', reason: '550 5.1.1 no such user', time: 1000 }]);
    assert.deepEqual(list.get('acme', 'Bob@example.com')?.reason, '550 5.1.1 no such user');
  } finally {
    await list.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('adds and removes survive a reopen; each account has its own file', async () => {
  const dir = await tempDir();
  try {
    const a = await SuppressionList.open(dir);
    await a.add('acme', 'x@example.com', 'bounce x', 1);
    await a.add('acme', 'y@example.com', 'bounce y', 2);
    await a.add('beta', 'z@example.com', 'bounce z', 3);
    assert.equal(await a.remove('acme', 'x@EXAMPLE.com'), true);
    assert.equal(await a.remove('acme', 'nobody@example.com'), false);
    await a.close();
    assert.deepEqual((await readdir(dir)).sort(), ['acme.jsonl', 'beta.jsonl']);
    const b = await SuppressionList.open(dir);
    assert.deepEqual(b.list('acme').map((e) => e.address), ['y@example.com']);
    assert.deepEqual(b.list('beta').map((e) => e.address), ['z@example.com']);
    assert.equal(b.has('acme', 'x@example.com'), false);
    await b.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a torn last record (crash mid-append) is cut off at open and later appends stay readable', async () => {
  const dir = await tempDir();
  try {
    const a = await SuppressionList.open(dir);
    await a.add('acme', 'kept@example.com', 'r', 1);
    await a.close();
    await appendFile(join(dir, 'acme.jsonl'), '{"address":"torn@exa');
    const b = await SuppressionList.open(dir);
    assert.deepEqual(b.list('acme').map((e) => e.address), ['kept@example.com']);
    await b.add('acme', 'next@example.com', 'r', 2);
    await b.close();
    const c = await SuppressionList.open(dir);
    assert.deepEqual(c.list('acme').map((e) => e.address), ['kept@example.com', 'next@example.com']);
    await c.close();
    assert.doesNotMatch(await readFile(join(dir, 'acme.jsonl'), 'utf8'), /torn/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('refuses an account id that is not a plain file name', async () => {
  const dir = await tempDir();
  const list = await SuppressionList.open(dir);
  try {
    await assert.rejects(list.add('../escape', 'a@example.com', 'r'), SuppressionAccountError);
    await assert.rejects(list.add('..', 'a@example.com', 'r'), SuppressionAccountError);
  } finally {
    await list.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a tag-scoped entry suppresses that tag only, survives a reopen, and is listed with its tag', async () => {
  const dir = await tempDir();
  try {
    const a = await SuppressionList.open(dir);
    assert.equal(await a.add('acme', 'ann@Example.com', 'unsubscribed', 5, 'news'), true);
    assert.equal(await a.add('acme', 'ann@example.com', 'again', 6, 'news'), false, 'already listed for that tag');
    assert.equal(a.has('acme', 'ann@example.com', 'news'), true);
    assert.equal(a.has('acme', 'ann@example.com', 'receipts'), false);
    assert.equal(a.has('acme', 'ann@example.com'), false, 'no account-wide entry');
    await a.add('acme', 'bob@example.com', 'bounce', 7);
    assert.equal(a.has('acme', 'bob@example.com', 'news'), true, 'an account-wide entry holds for every tag');
    await a.close();
    const b = await SuppressionList.open(dir);
    assert.deepEqual(b.list('acme'), [
      { address: 'ann@Example.com', reason: 'unsubscribed', time: 5, tag: 'news' },
      { address: 'bob@example.com', reason: 'bounce', time: 7 },
    ]);
    assert.equal(await b.remove('acme', 'ann@example.com'), false, 'the account-wide scope has no entry for ann');
    assert.equal(await b.remove('acme', 'ann@example.com', 8, 'news'), true);
    assert.equal(b.has('acme', 'ann@example.com', 'news'), false);
    await b.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
