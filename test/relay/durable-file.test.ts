// writeFileDurably: a crash (SIGKILL) or an error at any step leaves the old file or the new one, never a mix,
// and nothing it leaves behind gets in the way of the next write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fsyncDirectory, isDurableTempName, writeFileDurably, type DurableFileFs } from '../../src/relay/storage/durable-file.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'txrelay-durable-file-'));
const helperUrl = new URL('../../src/relay/storage/durable-file.js', import.meta.url).href;

// The steps of one write: open temp, write, fsync, close, rename, open folder, fsync folder, close folder.
const STEPS = 8;
const RENAME_STEP = 5;

/** Wraps node:fs/promises (and the handles it opens) so that `hook(step, name)` runs before every step. */
function steppedFs(hook: (step: number, name: string) => void): DurableFileFs {
  let step = 0;
  const before = (name: string): void => hook(++step, name);
  return {
    async open(path, flags, mode) {
      before('open');
      const fh = await fsp.open(path, flags, mode);
      return new Proxy(fh, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (typeof v !== 'function' || !['write', 'sync', 'close'].includes(String(prop))) return typeof v === 'function' ? v.bind(target) : v;
          // close() closes first, then may fail: a failing shim must not leak the descriptor.
          if (prop === 'close') return async () => {
            await target.close();
            before('close');
          };
          return (...args: unknown[]) => {
            before(String(prop));
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
    async rename(from, to) {
      before('rename');
      return fsp.rename(from, to);
    },
    unlink: (p) => fsp.unlink(p),
  };
}

// The child counts the same steps and kills itself with SIGKILL before step CRASH_AT: no cleanup code runs.
const CHILD = `
import * as fsp from 'node:fs/promises';
const { writeFileDurably } = await import(process.env.HELPER_URL);
const crashAt = Number(process.env.CRASH_AT);
let step = 0;
const before = () => { if (++step === crashAt) process.kill(process.pid, 'SIGKILL'); };
const fs = {
  async open(path, flags, mode) {
    before();
    const fh = await fsp.open(path, flags, mode);
    return new Proxy(fh, { get(t, p) { const v = t[p]; if (typeof v !== 'function') return v;
      return ['write', 'sync', 'close'].includes(String(p)) ? (...a) => { before(); return v.apply(t, a); } : v.bind(t); } });
  },
  async rename(a, b) { before(); return fsp.rename(a, b); },
  unlink: (p) => fsp.unlink(p),
};
await writeFileDurably(process.env.TARGET, Buffer.from(process.env.CONTENT), { mode: 0o600, fs });
console.log('written');
`;

test('a process killed at any step of a write leaves exactly the old or the new file, and the next write succeeds', async () => {
  const dir = await tempDir();
  const script = join(dir, 'child.mjs');
  await writeFile(script, CHILD);
  const oldContent = 'old token '.repeat(50) + '\n';
  const newContent = 'new token '.repeat(60) + '\n';
  for (let crashAt = 1; crashAt <= STEPS + 1; crashAt++) {
    const folder = join(dir, `run-${crashAt}`);
    await fsp.mkdir(folder);
    const target = join(folder, 'admin-token');
    await writeFileDurably(target, oldContent);
    const child = spawnSync(process.execPath, [script], {
      env: { ...process.env, HELPER_URL: helperUrl, CRASH_AT: String(crashAt), TARGET: target, CONTENT: newContent },
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (crashAt <= STEPS) assert.equal(child.signal, 'SIGKILL', `crash before step ${crashAt}: ${child.stderr}`);
    else assert.equal(child.stdout.trim(), 'written', child.stderr);
    const after = await readFile(target, 'utf8');
    assert.equal(after, crashAt <= RENAME_STEP ? oldContent : newContent, `crash before step ${crashAt}`);
    // Whatever the crash left is a hidden temp file; the next write goes through regardless.
    const names = await readdir(folder);
    for (const name of names.filter((n) => n !== 'admin-token')) assert.ok(isDurableTempName(name), `unexpected ${name}`);
    await writeFileDurably(target, 'third\n', { mode: 0o600 });
    assert.equal(await readFile(target, 'utf8'), 'third\n');
    assert.equal((await stat(target)).mode & 0o777, 0o600);
  }
});

test('an error at any step leaves exactly the old or the new file and no temp file', async () => {
  const dir = await tempDir();
  for (let failAt = 1; failAt <= STEPS; failAt++) {
    const target = join(dir, `key-${failAt}.pem`);
    await writeFileDurably(target, 'old');
    const fs = steppedFs((step, name) => {
      if (step === failAt) throw Object.assign(new Error(`injected failure of ${name}`), { code: 'EIO' });
    });
    await assert.rejects(writeFileDurably(target, 'new', { fs }), /injected failure/);
    assert.equal(await readFile(target, 'utf8'), failAt <= RENAME_STEP ? 'old' : 'new', `failure at step ${failAt}`);
  }
  assert.deepEqual((await readdir(dir)).filter(isDurableTempName), []);
});

test('writes the mode asked for, replaces the target, and fsyncs the folder unless told not to', async () => {
  const dir = await tempDir();
  const target = join(dir, 'cert.pem');
  const seen: string[] = [];
  const fs = steppedFs((_, name) => seen.push(name));
  await writeFileDurably(target, 'one', { mode: 0o644, fs });
  assert.deepEqual(seen, ['open', 'write', 'sync', 'close', 'rename', 'open', 'sync', 'close']);
  assert.equal((await stat(target)).mode & 0o777, 0o644 & ~process.umask());
  seen.length = 0;
  await writeFileDurably(target, Buffer.from('two'), { syncDirectory: false, fs });
  assert.deepEqual(seen, ['open', 'write', 'sync', 'close', 'rename']);
  assert.equal(await readFile(target, 'utf8'), 'two');
  assert.equal((await stat(target)).mode & 0o777, 0o600);
  await fsyncDirectory(dir);
  assert.deepEqual(await readdir(dir), ['cert.pem']);
});

test('temp files are hidden and named after their target', async () => {
  const dir = await tempDir();
  const names: string[] = [];
  const fs: DurableFileFs = { ...(fsp as unknown as DurableFileFs), async open(path, flags, mode) {
    names.push(path);
    return fsp.open(path, flags, mode);
  } };
  await writeFileDurably(join(dir, 'demo-api-key'), 'k', { fs });
  assert.match(names[0]!, /\/\.demo-api-key\.\d+-[0-9a-f]{8}-\d+\.tmp$/);
  assert.equal(names[1], dir);
  assert.ok(fileURLToPath(helperUrl).endsWith('durable-file.js'));
});
