// Idempotency-Key: the same key and account within 24 h get the first answer without queueing again, a different
// request under the key is 422, concurrent duplicates wait for the first, and the answers survive a restart.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdempotencyStore, type IdempotencyOptions } from '../../src/relay/http-api/index.js';
import { KEY_B, rawOutbox, removeDir, waitForSubject } from '../relay/relay-harness.js';
import { message, post, startApiRelay, type ApiRelay } from './http-api-harness.js';

const keepAll = (): boolean => true;

async function withStore(options: IdempotencyOptions, fn: (dir: string, store: IdempotencyStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-idem-'));
  const store = await IdempotencyStore.open(dir, options);
  try {
    await fn(dir, store);
  } finally {
    await store.close();
    await removeDir(dir);
  }
}

describe('IdempotencyStore', () => {
  test('repeats the first answer for the same fingerprint, runs the work once, and refuses another fingerprint', async () => {
    await withStore({}, async (_dir, store) => {
      let runs = 0;
      const work = async (): Promise<{ status: number; body: string }> => ({ status: 202, body: `{"n":${++runs}}` });
      const first = await store.run('a', 'k1', 'f1', work, keepAll);
      const again = await store.run('a', 'k1', 'f1', work, keepAll);
      assert.deepEqual(first, { kind: 'answer', answer: { status: 202, body: '{"n":1}' }, repeated: false });
      assert.deepEqual(again, { kind: 'answer', answer: { status: 202, body: '{"n":1}' }, repeated: true });
      assert.deepEqual(await store.run('a', 'k1', 'f2', work, keepAll), { kind: 'conflict' });
      const otherAccount = await store.run('b', 'k1', 'f2', work, keepAll);
      assert.equal(otherAccount.kind === 'answer' && otherAccount.answer.body, '{"n":2}', 'keys are per account');
      assert.equal(runs, 2);
    });
  });

  test('a concurrent duplicate waits for the first answer; a different request meanwhile is a conflict', async () => {
    await withStore({}, async (_dir, store) => {
      let runs = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const work = async (): Promise<{ status: number; body: string }> => {
        runs++;
        await gate;
        return { status: 202, body: '{"id":"x"}' };
      };
      const a = store.run('a', 'k', 'f', work, keepAll);
      const b = store.run('a', 'k', 'f', work, keepAll);
      assert.deepEqual(await store.run('a', 'k', 'other', work, keepAll), { kind: 'conflict' });
      release();
      const [ra, rb] = await Promise.all([a, b]);
      assert.equal(runs, 1);
      assert.deepEqual(ra.kind === 'answer' && ra.answer, rb.kind === 'answer' && rb.answer);
      assert.equal(rb.kind === 'answer' && rb.repeated, true);
    });
  });

  test('an answer not kept (a temporary refusal) lets the next request with the key run again', async () => {
    await withStore({}, async (_dir, store) => {
      let runs = 0;
      const work = async (): Promise<{ status: number; body: string }> => ({ status: runs++ === 0 ? 429 : 202, body: '{}' });
      const keep = (a: { status: number }): boolean => a.status !== 429;
      assert.equal((await store.run('a', 'k', 'f', work, keep)).kind === 'answer', true);
      const second = await store.run('a', 'k', 'f', work, keep);
      assert.equal(second.kind === 'answer' && second.answer.status, 202);
      assert.equal(runs, 2);
    });
  });

  test('answers expire after the TTL and the least recently used go past maxEntries', async () => {
    let now = 1_000_000;
    await withStore({ ttlMs: 1000, maxEntries: 2, now: () => now }, async (_dir, store) => {
      let runs = 0;
      const work = async (): Promise<{ status: number; body: string }> => ({ status: 202, body: String(++runs) });
      await store.run('a', 'k1', 'f', work, keepAll);
      await store.run('a', 'k2', 'f', work, keepAll);
      await store.run('a', 'k1', 'f', work, keepAll); // k1 used: k2 is now the least recently used
      await store.run('a', 'k3', 'f', work, keepAll);
      assert.equal(store.size, 2);
      assert.equal(runs, 3);
      await store.run('a', 'k1', 'f', work, keepAll);
      assert.equal(runs, 3, 'k1 kept');
      await store.run('a', 'k2', 'f', work, keepAll);
      assert.equal(runs, 4, 'k2 was evicted');
      now += 1001;
      await store.run('a', 'k1', 'f', work, keepAll);
      assert.equal(runs, 5, 'k1 expired');
    });
  });

  test('answers survive a reopen; a torn last line and expired records are dropped; the file is compacted', async () => {
    let now = 5_000_000;
    const dir = await mkdtemp(join(tmpdir(), 'txrelay-idem-'));
    try {
      const options = { ttlMs: 10_000, now: () => now };
      const store = await IdempotencyStore.open(dir, options);
      await store.run('a', 'old', 'f', async () => ({ status: 202, body: '"old"' }), keepAll);
      now += 6000;
      await store.run('a', 'new', 'f', async () => ({ status: 202, body: '"new"' }), keepAll);
      await store.close();
      await appendFile(join(dir, 'idempotency.jsonl'), '{"a":"a","k":"torn","f":"f","s":20');
      now += 6000; // "old" is past its 10 s, "new" is not
      const reopened = await IdempotencyStore.open(dir, options);
      assert.equal(reopened.size, 1);
      const repeated = await reopened.run('a', 'new', 'f', async () => ({ status: 500, body: 'ran again' }), keepAll);
      assert.deepEqual(repeated, { kind: 'answer', answer: { status: 202, body: '"new"' }, repeated: true });
      const lines = (await readFile(join(dir, 'idempotency.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, 'rewritten with the live record only');
      await reopened.close();
    } finally {
      await removeDir(dir);
    }
  });

  test('the file stays bounded: dead records are compacted away as answers are evicted', async () => {
    await withStore({ maxEntries: 10 }, async (dir, store) => {
      for (let i = 0; i < 1200; i++) await store.run('a', `k${i}`, 'f', async () => ({ status: 202, body: '{}' }), keepAll);
      const lines = (await readFile(join(dir, 'idempotency.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
      assert.ok(lines.length < 1000, `${lines.length} records on disk for 1200 answers written, 10 live`);
    });
  });
});

describe('HTTP send API: Idempotency-Key', () => {
  test('a repeat gets the first answer without queueing again; another body is 422; concurrent repeats wait; a restart keeps them', async () => {
    let t: ApiRelay = await startApiRelay();
    const dir = t.dir;
    try {
      const send = `${t.url}/v1/send`;
      const body = message({ subject: 'idempotent once' });
      const headers = { 'idempotency-key': 'order-1234' };
      const first = await post(send, body, { headers });
      assert.equal(first.status, 202, JSON.stringify(first.json));
      const again = await post(send, body, { headers });
      assert.equal(again.status, 202);
      assert.deepEqual(again.json, first.json);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');

      const other = await post(send, message({ subject: 'another body' }), { headers });
      assert.equal(other.status, 422);
      assert.equal(other.json.error.field, 'Idempotency-Key');

      const otherAccount = await post(send, message({ subject: 'idempotent once' }), { headers, key: KEY_B });
      assert.equal(otherAccount.status, 202);
      assert.notEqual(otherAccount.json.id, first.json.id, 'keys are per account');

      const concurrent = await Promise.all(Array.from({ length: 5 }, () => post(send, message({ subject: 'concurrent once' }), { headers: { 'idempotency-key': 'burst-1' } })));
      assert.deepEqual(new Set(concurrent.map((r) => r.status)), new Set([202]));
      assert.equal(new Set(concurrent.map((r) => r.json.id)).size, 1, 'one queue id for all five');

      const refused = await post(send, message({ route: 'nowhere' }), { headers: { 'idempotency-key': 'refused-1' } });
      assert.equal(refused.status, 422);
      assert.deepEqual(await post(send, message({ route: 'nowhere' }), { headers: { 'idempotency-key': 'refused-1' } }).then((r) => [r.status, r.json]), [422, refused.json]);

      await waitForSubject(t.outbox('out-main'), 'idempotent once');
      await waitForSubject(t.outbox('out-main'), 'concurrent once');

      await t.stop();
      t = await startApiRelay(undefined, dir);
      const afterRestart = await post(`${t.url}/v1/send`, body, { headers });
      assert.equal(afterRestart.status, 202);
      assert.deepEqual(afterRestart.json, first.json, 'the same answer after a restart');
      assert.equal((await post(`${t.url}/v1/send`, message({ subject: 'another body' }), { headers })).status, 422);
      await new Promise((r) => setTimeout(r, 200));
      const names = await rawOutbox(t.outbox('out-main'));
      assert.equal(names.length, 2, `one message per key: ${names.join(', ')}`);
    } finally {
      await t.stop();
      await removeDir(dir);
    }
  });
});
