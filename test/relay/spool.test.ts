import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { appendFile, mkdtemp, readdir, readFile, stat, truncate, writeFile, mkdir, rm } from 'node:fs/promises';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { Spool, SpoolFullError, SpoolMessageError, SpoolWriteError, createSpoolId } from '../../src/relay/storage/spool/index.js';
import type { SpoolFs, SpoolMessage } from '../../src/relay/storage/spool/index.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'txrelay-spool-'));

function message(id: string, recipients = 2, bodySize = 300): SpoolMessage {
  return {
    id,
    account: 'demo',
    route: 'outbox',
    tag: 'receipt',
    from: 'shop@example.com',
    createdAt: 1_700_000_000_000,
    recipients: Array.from({ length: recipients }, (_, i) => ({
      recipient: `r${i}@example.com`,
      body: Buffer.from(`Subject: ${id} ${i}\r\n\r\n<p>${'x'.repeat(bodySize)}</p>\r\n`),
    })),
    meta: { messageId: `<${id}@relay>`, dropped: [{ type: 'image/png', size: 10 }] },
  };
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
}

/** Wraps node:fs/promises so that writes (or fsyncs) of segment files fail while `fail` says so. */
function failingFs(fail: { writev?: string; datasync?: string }): SpoolFs {
  return {
    ...(fsp as unknown as SpoolFs),
    async open(path, flags, mode) {
      const fh = await fsp.open(path, flags, mode);
      if (!path.endsWith('.seg')) return fh;
      return new Proxy(fh, {
        get(target, prop) {
          if (prop === 'writev' && fail.writev) {
            const code = fail.writev;
            // Like a real full disk: part of the data lands, then the error.
            return async (bufs: Buffer[], pos: number) => {
              await target.write(bufs[0]!.subarray(0, Math.min(10, bufs[0]!.length)), 0, Math.min(10, bufs[0]!.length), pos);
              throw Object.assign(new Error(`${code} injected`), { code });
            };
          }
          if (prop === 'datasync' && fail.datasync) {
            const code = fail.datasync;
            return async () => { throw Object.assign(new Error(`${code} injected`), { code }); };
          }
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
  };
}

test('createSpoolId makes distinct ids of the spool id alphabet', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => createSpoolId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[a-z0-9]{25}$/);
});

test('a message enqueued is resumed with identical bodies after reopening', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  const msg = message('first', 3);
  const entry = await spool.enqueue(msg);
  assert.equal(entry.recipients.length, 3);
  await spool.close();
  const again = await Spool.open(dir);
  assert.equal(again.recovery.messages, 1);
  assert.deepEqual(again.pending().map((e) => e.id), ['first']);
  const read = await again.read('first');
  assert.deepEqual(read, msg);
  await again.close();
});

test('concurrent enqueue calls share one fdatasync per batch (group commit)', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  const ids = Array.from({ length: 50 }, (_, i) => `m${i}`);
  await Promise.all(ids.map((id) => spool.enqueue(message(id, 1))));
  assert.equal(spool.batches, 1, `50 concurrent enqueues took ${spool.batches} batches`);
  assert.equal(spool.pending().length, 50);
  await spool.close();
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id).sort(), [...ids].sort());
  await again.close();
});

test('a torn last record is cut off at open and the spool keeps working', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await spool.enqueue(message('whole'));
  await spool.enqueue(message('torn'));
  await spool.close();
  const [seg] = await segmentFiles(dir);
  const path = join(dir, seg!);
  await truncate(path, (await stat(path)).size - 7);
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id), ['whole']);
  assert.ok(again.recovery.tornBytes > 0);
  await again.enqueue(message('after'));
  await again.close();
  const third = await Spool.open(dir);
  assert.deepEqual(third.pending().map((e) => e.id).sort(), ['after', 'whole']);
  assert.equal(third.recovery.tornBytes, 0);
  await third.close();
});

test('a record with a wrong checksum and garbage after the last record are discarded', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await spool.enqueue(message('one'));
  await spool.enqueue(message('two'));
  await spool.close();
  const [seg] = await segmentFiles(dir);
  const path = join(dir, seg!);
  const buf = await readFile(path);
  buf[buf.length - 5] ^= 0xff; // inside the second record's body
  await writeFile(path, buf);
  await appendFile(path, Buffer.from('garbage after a crash'));
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id), ['one']);
  await again.close();
});

test('complete removes a message once every recipient is delivered or failed, also after reopening', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await spool.enqueue(message('done', 2));
  await spool.enqueue(message('half', 2));
  await spool.complete('done', 0, { status: 'delivered', reply: '250 ok' });
  await spool.complete('done', 1, { status: 'failed', reply: '550 no such user' });
  await spool.complete('half', 1, { status: 'delivered' });
  assert.deepEqual(spool.pending().map((e) => e.id), ['half']);
  await spool.close();
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id), ['half']);
  assert.deepEqual(again.get('half')?.recipients.map((r) => r.status), ['pending', 'delivered']);
  await again.complete('half', 0, { status: 'delivered' });
  assert.equal(again.pending().length, 0);
  assert.deepEqual(await readdir(dir), [], 'a finished segment that takes no more appends is deleted at once');
  await again.close();
  const third = await Spool.open(dir);
  assert.equal(third.pending().length, 0);
  await third.close();
});

test('the first read of a message enqueued by this process comes from memory; later reads, and readCacheBytes 0, read the file', async () => {
  // Proof of where a read comes from: the bodies on disk are overwritten (same length) after the enqueue.
  async function scribble(dir: string, id: string): Promise<void> {
    const [seg] = await segmentFiles(dir);
    const path = join(dir, seg!);
    const bytes = await readFile(path);
    const at = bytes.indexOf(`Subject: ${id} 0`);
    assert.ok(at > 0);
    bytes.write('Subject: XXXX', at, 'latin1');
    await writeFile(path, bytes);
  }
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  const msg = message('cached', 2);
  await spool.enqueue(msg);
  await scribble(dir, 'cached');
  const first = await spool.read('cached');
  assert.deepEqual(first.recipients.map((r) => r.body.toString()), msg.recipients.map((r) => r.body.toString()), 'first read: the bytes enqueued');
  const second = await spool.read('cached');
  assert.match(second.recipients[0]!.body.toString(), /^Subject: XXXX/, 'second read: the file');
  await spool.close();

  const dir2 = await tempDir();
  const uncached = await Spool.open(dir2, { readCacheBytes: 0 });
  await uncached.enqueue(message('plain', 1));
  await scribble(dir2, 'plain');
  assert.match((await uncached.read('plain')).recipients[0]!.body.toString(), /^Subject: XXXX/, 'readCacheBytes 0: the file');
  await uncached.close();

  const dir3 = await tempDir();
  const small = await Spool.open(dir3, { readCacheBytes: 500 });
  await small.enqueue(message('big', 2, 400));
  await scribble(dir3, 'big');
  assert.match((await small.read('big')).recipients[0]!.body.toString(), /^Subject: XXXX/, 'a message past the bound is not kept');
  await small.close();
});

test('state records arriving while a state write is in flight share the next write, and all survive a restart', async () => {
  const dir = await tempDir();
  let stateWrites = 0;
  const counting: SpoolFs = {
    ...(fsp as unknown as SpoolFs),
    async open(path, flags, mode) {
      const fh = await fsp.open(path, flags, mode);
      if (!path.endsWith('.state')) return fh;
      return new Proxy(fh, {
        get(target, prop) {
          const v = Reflect.get(target, prop) as unknown;
          if (prop === 'write') stateWrites++;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
  };
  const spool = await Spool.open(dir, { fs: counting });
  const n = 200;
  await spool.enqueue(message('many', n, 10));
  await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? spool.complete('many', i, { status: 'delivered', reply: `250 ok ${i}` }) : spool.defer('many', i, 1_800_000_000_000 + i, `451 later ${i}`))));
  assert.ok(stateWrites >= 2 && stateWrites <= 10, `${n} state records in ${stateWrites} writes (header included)`);
  await spool.close();
  const again = await Spool.open(dir);
  const rs = again.get('many')!.recipients;
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) assert.equal(rs[i]!.status, 'delivered', `recipient ${i}`);
    else assert.deepEqual([rs[i]!.status, rs[i]!.attempts, rs[i]!.nextAttemptAt, rs[i]!.reply], ['pending', 1, 1_800_000_000_000 + i, `451 later ${i}`], `recipient ${i}`);
  }
  await again.close();
});

test('a segment whose messages were all finished before a crash is reclaimed at open', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await spool.enqueue(message('gone', 1));
  await spool.complete('gone', 0, { status: 'delivered' });
  assert.equal((await segmentFiles(dir)).length, 1, 'the segment being appended to stays while the spool runs');
  // No close: the next open sees what a killed process left.
  const again = await Spool.open(dir);
  assert.equal(again.recovery.reclaimedSegments, 1);
  assert.deepEqual(await readdir(dir), []);
  await again.close();
  await spool.close(); // releases the first instance's file handles
});

test('close deletes the segment being appended to when nothing in it is pending', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await spool.enqueue(message('done', 1));
  await spool.enqueue(message('kept', 1));
  await spool.complete('done', 0, { status: 'delivered' });
  await spool.close();
  assert.equal((await segmentFiles(dir)).length, 1, 'a segment with a pending message stays');
  const again = await Spool.open(dir);
  await again.complete('kept', 0, { status: 'delivered' });
  await again.close();
  assert.deepEqual(await readdir(dir), []);
});

test('defer keeps the attempt count and next attempt time across a restart', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await spool.enqueue(message('later', 1));
  await spool.defer('later', 0, 1_700_000_600_000, '421 try later');
  await spool.defer('later', 0, 1_700_001_200_000, '451 still busy');
  await spool.close();
  const again = await Spool.open(dir);
  const r = again.get('later')?.recipients[0];
  assert.deepEqual({ attempts: r?.attempts, at: r?.nextAttemptAt, reply: r?.reply, status: r?.status }, { attempts: 2, at: 1_700_001_200_000, reply: '451 still busy', status: 'pending' });
  await again.close();
});

test('completing the last two recipients at once releases the message once and keeps its segment neighbours', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir, { segmentBytes: 1024 });
  await Promise.all([spool.enqueue(message('x', 2)), spool.enqueue(message('y', 1))]);
  await Promise.all([spool.complete('x', 0, { status: 'delivered' }), spool.complete('x', 1, { status: 'delivered' })]);
  assert.deepEqual(spool.pending().map((e) => e.id), ['y']);
  assert.equal((await spool.read('y')).recipients.length, 1, 'the segment holding y is still there');
  await spool.complete('y', 0, { status: 'delivered' });
  assert.deepEqual(await segmentFiles(dir), []);
  await spool.close();
});

test('a state file torn in its header is repaired and records written after it survive the next restart', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await spool.enqueue(message('s', 1));
  await spool.defer('s', 0, 1_700_000_100_000);
  await spool.close();
  const state = (await readdir(dir)).find((n) => n.endsWith('.state'))!;
  await truncate(join(dir, state), 3);
  const again = await Spool.open(dir);
  assert.equal(again.get('s')?.recipients[0]?.attempts, 0, 'the torn state is forgotten: at least once');
  await again.defer('s', 0, 1_700_000_200_000);
  await again.close();
  const third = await Spool.open(dir);
  assert.deepEqual([third.get('s')?.recipients[0]?.attempts, third.get('s')?.recipients[0]?.nextAttemptAt], [1, 1_700_000_200_000]);
  await third.close();
});

test('full segments rotate and are deleted once all their messages are finished', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir, { segmentBytes: 4096 });
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    ids.push(`r${i}`);
    await spool.enqueue(message(`r${i}`, 1, 1000));
  }
  assert.ok(spool.stats().segments >= 4, `segments: ${spool.stats().segments}`);
  for (const id of ids) await spool.complete(id, 0, { status: 'delivered' });
  assert.ok(spool.stats().segments <= 1, `segments left: ${spool.stats().segments}`);
  await spool.close();
  assert.ok((await segmentFiles(dir)).length <= 1);
});

/** Fills segments of 16 KiB: `slow` first, then fillers that are all delivered, leaving `slow` alone in its segment. */
async function pinnedSpool(dir: string, options: Parameters<typeof Spool.open>[1] = {}): Promise<Spool> {
  const spool = await Spool.open(dir, { segmentBytes: 16384, ...options });
  await spool.enqueue(message('slow', 2, 1000));
  for (let i = 0; i < 20; i++) await spool.enqueue(message(`f${i}`, 1, 1000));
  await spool.complete('slow', 1, { status: 'delivered', reply: '250 ok' });
  await spool.defer('slow', 0, 1_700_000_900_000, '451 greylisted');
  for (let i = 0; i < 20; i++) await spool.complete(`f${i}`, 0, { status: 'delivered' });
  return spool;
}

test('a long-deferred message is copied forward so it no longer pins its segment', async () => {
  const dir = await tempDir();
  const spool = await pinnedSpool(dir);
  const before = await spool.read('slow');
  await spool.compactNow();
  assert.ok(spool.compacted >= 1);
  assert.ok(!(await segmentFiles(dir)).includes('0000000000000001.seg'), 'the first segment is gone');
  assert.deepEqual(await spool.read('slow'), before);
  await spool.close();
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id), ['slow']);
  const [r0, r1] = again.get('slow')!.recipients;
  assert.deepEqual([r0?.status, r0?.attempts, r0?.nextAttemptAt, r0?.reply], ['pending', 1, 1_700_000_900_000, '451 greylisted']);
  assert.deepEqual([r1?.status, r1?.reply], ['delivered', '250 ok']);
  assert.deepEqual(await again.read('slow'), before);
  await again.close();
});

test('with compactAfterMs 0 a pinned segment is compacted in the background as soon as it qualifies', async () => {
  const dir = await tempDir();
  const spool = await pinnedSpool(dir, { compactAfterMs: 0 });
  await spool.close(); // waits for compactions in flight
  assert.ok(!(await segmentFiles(dir)).includes('0000000000000001.seg'));
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id), ['slow']);
  await again.close();
});

test('a compaction that cannot write leaves the message in place and succeeds on a later try', async () => {
  const dir = await tempDir();
  const fail: { writev?: string } = {};
  const spool = await pinnedSpool(dir, { fs: failingFs(fail) });
  const before = await spool.read('slow');
  fail.writev = 'ENOSPC';
  await spool.compactNow();
  assert.equal(spool.compacted, 0);
  assert.deepEqual(await spool.read('slow'), before);
  assert.ok((await segmentFiles(dir)).includes('0000000000000001.seg'));
  delete fail.writev;
  await spool.compactNow();
  assert.equal(spool.compacted, 1);
  assert.ok(!(await segmentFiles(dir)).includes('0000000000000001.seg'));
  assert.deepEqual(await spool.read('slow'), before);
  await spool.close();
});

test('after a crash between the copy and the deletion of the old segment, the newest copy wins', async () => {
  const dir = await tempDir();
  const spool = await pinnedSpool(dir);
  const saved = await Promise.all(['0000000000000001.seg', '0000000000000001.state'].map(async (n) => [n, await readFile(join(dir, n))] as const));
  await spool.compactNow();
  await spool.defer('slow', 0, 1_700_009_000_000, '451 again');
  await spool.close();
  for (const [n, data] of saved) await writeFile(join(dir, n), data); // as if the deletion never happened
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id), ['slow']);
  assert.deepEqual([again.get('slow')!.recipients[0]!.attempts, again.get('slow')!.recipients[0]!.nextAttemptAt], [2, 1_700_009_000_000]);
  await again.complete('slow', 0, { status: 'delivered' });
  await again.close();
  const third = await Spool.open(dir);
  assert.equal(third.pending().length, 0);
  await third.close();
});

test('a message finished while its copy is being written does not come back after a restart', async () => {
  const dir = await tempDir();
  let gate: { hit: () => void; open: Promise<void> } | null = null;
  let release = (): void => undefined;
  const hit = new Promise<void>((resolve) => {
    gate = { hit: resolve, open: new Promise<void>((r) => (release = r)) };
  });
  const fs: SpoolFs = {
    ...(fsp as unknown as SpoolFs),
    async open(path, flags, mode) {
      const fh = await fsp.open(path, flags, mode);
      return new Proxy(fh, {
        get(target, prop) {
          const v = Reflect.get(target, prop) as unknown;
          if (prop === 'writev' && gate) {
            const g = gate;
            gate = null;
            return async (bufs: Buffer[], pos: number) => {
              g.hit();
              await g.open;
              return target.writev(bufs, pos);
            };
          }
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
  };
  const armed = gate;
  gate = null;
  const spool = await pinnedSpool(dir, { fs });
  gate = armed;
  const compaction = spool.compactNow();
  await hit; // the copy of `slow` is being written
  await spool.complete('slow', 0, { status: 'failed', reply: '550 gone' });
  release();
  await compaction;
  assert.equal(spool.pending().length, 0);
  await spool.close();
  const again = await Spool.open(dir);
  assert.equal(again.pending().length, 0, 'the copy carries the outcome recorded meanwhile');
  await again.close();
});

test('an ENOSPC during the write rejects with SpoolWriteError 451 4.3.0, keeps nothing, and the spool recovers', async () => {
  const dir = await tempDir();
  const fail: { writev?: string } = {};
  const spool = await Spool.open(dir, { fs: failingFs(fail) });
  await spool.enqueue(message('before'));
  fail.writev = 'ENOSPC';
  const results = await Promise.allSettled([spool.enqueue(message('lost1')), spool.enqueue(message('lost2'))]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    const err = (r as PromiseRejectedResult).reason as SpoolWriteError;
    assert.ok(err instanceof SpoolWriteError);
    assert.deepEqual([err.code, err.enhanced], [451, '4.3.0']);
    assert.match(err.message, /ENOSPC/);
  }
  delete fail.writev;
  await spool.enqueue(message('after'));
  assert.deepEqual(spool.pending().map((e) => e.id).sort(), ['after', 'before']);
  await spool.close();
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id).sort(), ['after', 'before']);
  assert.equal(again.recovery.tornBytes, 0, 'the failed batch was cut off, not left torn');
  await again.close();
});

test('a failing fdatasync (EIO) rejects the batch and nothing of it resurfaces', async () => {
  const dir = await tempDir();
  const fail: { datasync?: string } = { datasync: 'EIO' };
  const spool = await Spool.open(dir, { fs: failingFs(fail) });
  await assert.rejects(spool.enqueue(message('unsynced')), SpoolWriteError);
  delete fail.datasync;
  await spool.enqueue(message('synced'));
  await spool.close();
  const again = await Spool.open(dir);
  assert.deepEqual(again.pending().map((e) => e.id), ['synced']);
  await again.close();
});

test('refuses with SpoolFullError past the message bound and the byte bound', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir, { maxPendingMessages: 2, maxPendingBytes: 20_000 });
  await spool.enqueue(message('a', 1));
  await spool.enqueue(message('b', 1));
  const full = await spool.enqueue(message('c', 1)).catch((e: unknown) => e);
  assert.ok(full instanceof SpoolFullError);
  assert.deepEqual([full.code, full.enhanced], [451, '4.3.0']);
  await spool.complete('a', 0, { status: 'delivered' });
  await spool.enqueue(message('c', 1));
  await assert.rejects(spool.complete('c', 0, { status: 'delivered' }).then(() => spool.enqueue(message('big', 1, 30_000))), SpoolFullError);
  await spool.close();
});

test('refuses malformed messages: bad id, duplicate id, no recipients', async () => {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  await assert.rejects(spool.enqueue(message('../x')), SpoolMessageError);
  await assert.rejects(spool.enqueue({ ...message('n'), recipients: [] }), SpoolMessageError);
  await spool.enqueue(message('dup'));
  await assert.rejects(spool.enqueue(message('dup')), /already in the spool/);
  await spool.close();
});

test('removes temp files and orphaned state files at open', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'x.tmp'), 'partial');
  await writeFile(join(dir, '0000000000000009.state'), 'orphan');
  const spool = await Spool.open(dir);
  assert.deepEqual(await readdir(dir), []);
  await spool.enqueue(message('fresh'));
  assert.deepEqual(await segmentFiles(dir), ['0000000000000010.seg'], 'sequence numbers continue past every file seen');
  await spool.close();
});

test('a process killed with SIGKILL while enqueueing loses no acknowledged message', { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const spoolUrl = pathToFileURL(fileURLToPath(new URL('../../src/relay/storage/spool/index.js', import.meta.url))).href;
  const script = join(dir, 'writer.mjs');
  await writeFile(
    script,
    `import { Spool } from ${JSON.stringify(spoolUrl)};
const spool = await Spool.open(${JSON.stringify(join(dir, 'spool'))});
let n = 0;
async function writer(w) {
  for (;;) {
    const id = 'w' + w + 'n' + (n++);
    await spool.enqueue({ id, account: 'a', route: 'r', tag: 't', from: 'f@x', createdAt: 1, recipients: [{ recipient: 'r@x', body: Buffer.alloc(1500, 97) }, { recipient: 's@x', body: Buffer.alloc(700, 98) }] });
    process.stdout.write(id + '\\n');
  }
}
for (let w = 0; w < 8; w++) writer(w);
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acknowledged: string[] = [];
  await new Promise<void>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      acknowledged.push(line);
      if (acknowledged.length === 300) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve());
  });
  const spool = await Spool.open(join(dir, 'spool'));
  const held = new Set(spool.pending().map((e) => e.id));
  for (const id of acknowledged) assert.ok(held.has(id), `acknowledged ${id} is missing after the crash`);
  for (const id of held) {
    const m = await spool.read(id);
    assert.equal(m.recipients.length, 2);
    assert.equal(m.recipients[0]!.body.length, 1500);
  }
  await spool.close();
});

test('on a real full disk (tiny tmpfs) enqueue rejects with SpoolWriteError and works again after space is freed', async (t) => {
  const dir = await tempDir();
  const mnt = join(dir, 'mnt');
  await mkdir(mnt);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${(mounted.stderr || mounted.error?.message || '').trim()}`);
    return;
  }
  try {
    const spool = await Spool.open(join(mnt, 'spool'), { segmentBytes: 64 * 1024 });
    const ok: string[] = [];
    let failure: unknown = null;
    for (let i = 0; i < 200 && !failure; i++) {
      try {
        await spool.enqueue(message(`big${i}`, 2, 20_000));
        ok.push(`big${i}`);
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(failure instanceof SpoolWriteError, `expected SpoolWriteError, got ${String(failure)}`);
    assert.ok(ok.length > 0);
    for (const id of ok) {
      await spool.complete(id, 0, { status: 'delivered' });
      await spool.complete(id, 1, { status: 'delivered' });
    }
    await spool.enqueue(message('after-free', 2, 20_000));
    await spool.close();
    const again = await Spool.open(join(mnt, 'spool'));
    assert.deepEqual(again.pending().map((e) => e.id), ['after-free']);
    await again.close();
  } finally {
    spawnSync('umount', [mnt]);
    await rm(dir, { recursive: true, force: true });
  }
});

/** Writes `messages` one by one into a fresh spool and returns the segment bytes and where each record ends. */
async function writtenSegment(messages: SpoolMessage[]): Promise<{ bytes: Buffer; ends: number[] }> {
  const dir = await tempDir();
  const spool = await Spool.open(dir);
  const ends: number[] = [];
  for (const m of messages) {
    await spool.enqueue(m);
    ends.push((await stat(join(dir, '0000000000000001.seg'))).size);
  }
  const bytes = await readFile(join(dir, '0000000000000001.seg'));
  await spool.close();
  await rm(dir, { recursive: true, force: true });
  return { bytes, ends };
}

const arbitraryMessages = fc
  .array(
    fc.record({
      recipients: fc.array(fc.record({ recipient: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), body: fc.uint8Array({ maxLength: 3000 }) }), { minLength: 1, maxLength: 4 }),
      tag: fc.string({ maxLength: 20 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((list) =>
    list.map((m, i): SpoolMessage => ({
      id: `p${i}`, account: 'acc', route: 'r', tag: m.tag, from: 'f@example.com', createdAt: 1_700_000_000_000 + i,
      recipients: m.recipients.map((r) => ({ recipient: r.recipient, body: Buffer.from(r.body) })),
    })),
  );

test('property: a segment cut at any byte resumes exactly the messages written whole before the cut', async () => {
  await fc.assert(
    fc.asyncProperty(arbitraryMessages, fc.double({ min: 0, max: 1, noNaN: true }), async (messages, where) => {
      const { bytes, ends } = await writtenSegment(messages);
      const cut = Math.floor(where * bytes.length);
      const dir = await tempDir();
      await writeFile(join(dir, '0000000000000001.seg'), bytes.subarray(0, cut));
      const spool = await Spool.open(dir);
      const expected = messages.filter((_, i) => ends[i]! <= cut);
      assert.deepEqual(spool.pending().map((e) => e.id), expected.map((m) => m.id));
      for (const m of expected) assert.deepEqual(await spool.read(m.id), m);
      await spool.close();
      await rm(dir, { recursive: true, force: true });
    }),
    { numRuns: 25, seed: 20261126 },
  );
});

test('property: a flipped byte loses the record it falls in and everything after it, never more', async () => {
  await fc.assert(
    fc.asyncProperty(arbitraryMessages, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 255 }), async (messages, where, mask) => {
      const { bytes, ends } = await writtenSegment(messages);
      const at = Math.floor(where * bytes.length);
      bytes[at] ^= mask;
      const dir = await tempDir();
      await writeFile(join(dir, '0000000000000001.seg'), bytes);
      const spool = await Spool.open(dir);
      const expected = messages.filter((_, i) => ends[i]! <= at);
      assert.deepEqual(spool.pending().map((e) => e.id), expected.map((m) => m.id));
      for (const m of expected) assert.deepEqual(await spool.read(m.id), m);
      await spool.close();
      await rm(dir, { recursive: true, force: true });
    }),
    { numRuns: 25, seed: 20261127 },
  );
});
