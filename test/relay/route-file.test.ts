import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RouteFile } from '../../src/relay/delivery/route-file.js';
import type { RouteFileFs } from '../../src/relay/delivery/route-file.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'txrelay-route-file-'));

test('writes one .eml per recipient named <id>-<n>.eml with the exact body', async () => {
  const dir = join(await tempDir(), 'outbox');
  const route = new RouteFile('outbox', dir);
  const outcomes = await route.deliver({
    id: 'msg1',
    from: 'a@example.com',
    recipients: [
      { address: 'x@example.com', body: Buffer.from('Subject: x\r\n\r\n<p>x</p>\r\n') },
      { address: 'y@example.com', body: Buffer.from('Subject: y\r\n\r\n<p>y</p>\r\n') },
    ],
  });
  assert.deepEqual(outcomes.map((o) => [o.recipient, o.status]), [['x@example.com', 'delivered'], ['y@example.com', 'delivered']]);
  assert.deepEqual((await readdir(dir)).sort(), ['msg1-0.eml', 'msg1-1.eml']);
  assert.equal(await readFile(join(dir, 'msg1-1.eml'), 'utf8'), 'Subject: y\r\n\r\n<p>y</p>\r\n');
  await route.close();
});

test('names a file by the recipient index of the spooled message when given', async () => {
  const dir = await tempDir();
  const route = new RouteFile('outbox', dir);
  await route.deliver({ id: 'm2', from: '', recipients: [{ address: 'z@example.com', body: Buffer.from('b'), index: 7 }] });
  assert.deepEqual(await readdir(dir), ['m2-7.eml']);
});

test('a re-delivery replaces the same file instead of adding a duplicate', async () => {
  const dir = await tempDir();
  const route = new RouteFile('outbox', dir);
  const msg = { id: 'again', from: '', recipients: [{ address: 'z@example.com', body: Buffer.from('first') }] };
  await route.deliver(msg);
  await route.deliver({ ...msg, recipients: [{ address: 'z@example.com', body: Buffer.from('second') }] });
  assert.deepEqual(await readdir(dir), ['again-0.eml']);
  assert.equal(await readFile(join(dir, 'again-0.eml'), 'utf8'), 'second');
});

test('refuses ids that could leave the folder (path traversal) and writes nothing', async () => {
  const base = await tempDir();
  const dir = join(base, 'outbox');
  const route = new RouteFile('outbox', dir);
  for (const id of ['../escape', 'a/b', '..', '', 'x\u0000y', 'a b']) {
    const [o] = await route.deliver({ id, from: '', recipients: [{ address: 'z@example.com', body: Buffer.from('b') }] });
    assert.equal(o?.status, 'failed', `id ${JSON.stringify(id)}`);
  }
  assert.deepEqual(await readdir(base), []);
});

test('a write error defers the recipient and leaves no temp file behind', async () => {
  const dir = await tempDir();
  let failWrites = true;
  const fs: RouteFileFs = {
    ...(fsp as unknown as RouteFileFs),
    async open(path, flags, mode) {
      const fh = await fsp.open(path, flags, mode);
      if (flags !== 'wx' || !failWrites) return fh;
      return new Proxy(fh, {
        get(target, prop) {
          if (prop === 'write') return async () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); };
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
  };
  const route = new RouteFile('outbox', dir, { fs });
  const msg = { id: 'full', from: '', recipients: [{ address: 'z@example.com', body: Buffer.from('body') }] };
  const [o] = await route.deliver(msg);
  assert.equal(o?.status, 'deferred');
  assert.match(o?.reply ?? '', /ENOSPC/);
  assert.deepEqual(await readdir(dir), []);
  failWrites = false;
  const [again] = await route.deliver(msg);
  assert.equal(again?.status, 'delivered');
  assert.deepEqual(await readdir(dir), ['full-0.eml']);
});

test('removes temp files a crash left behind before the first delivery', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, '.old-0.eml.abcdef.tmp'), 'partial');
  const route = new RouteFile('outbox', dir);
  await route.deliver({ id: 'new', from: '', recipients: [{ address: 'z@example.com', body: Buffer.from('b') }] });
  assert.deepEqual(await readdir(dir), ['new-0.eml']);
});
