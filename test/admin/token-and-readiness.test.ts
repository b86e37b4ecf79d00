import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureAdminToken } from '../../src/relay/admin/admin-token.js';
import { AdminTokenError, BearerToken } from '../../src/relay/admin/bearer-token.js';
import { firstUnready, probeWritable } from '../../src/relay/admin/readiness.js';

describe('admin token and readiness', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'txrelay-token-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts only "Bearer <token>" with exactly the configured token', () => {
    const t = new BearerToken('s3cret-token-0123456789');
    assert.equal(t.accepts('Bearer s3cret-token-0123456789'), true);
    assert.equal(t.accepts('bearer s3cret-token-0123456789'), true, 'the scheme is case-insensitive (RFC 7235)');
    assert.equal(t.accepts('Bearer s3cret-token-012345678'), false);
    assert.equal(t.accepts('Bearer s3cret-token-01234567890'), false);
    assert.equal(t.accepts('Bearer  '), false);
    assert.equal(t.accepts('Basic s3cret-token-0123456789'), false);
    assert.equal(t.accepts('s3cret-token-0123456789'), false);
    assert.equal(t.accepts(undefined), false);
  });

  it('refuses a configured token shorter than 16 characters or with spaces, and takes any visible ASCII', () => {
    assert.throws(() => new BearerToken('short'), AdminTokenError);
    assert.throws(() => new BearerToken('has a space in the token'), AdminTokenError);
    assert.equal(new BearerToken('p@ss!w0rd$with%punct').accepts('Bearer p@ss!w0rd$with%punct'), true, 'any visible ASCII token works');
  });

  it('creates an admin token once, mode 0600, and returns the same one after a restart', async () => {
    const first = await ensureAdminToken(dir);
    assert.equal(first.created, true);
    assert.ok(first.token.length >= 16);
    assert.equal((await stat(first.path)).mode & 0o777, 0o600);
    const again = await ensureAdminToken(dir);
    assert.deepEqual(again, { ...first, created: false });
    await writeFile(first.path, 'bad\n');
    const replaced = await ensureAdminToken(dir);
    assert.equal(replaced.created, true);
    assert.equal((await readFile(first.path, 'utf8')).trim(), replaced.token);
  });

  it('reports a writable folder ready and leaves no probe file behind', async () => {
    assert.deepEqual(await probeWritable(dir), { ready: true });
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.ready-probe')), []);
  });

  it('reports a folder it cannot write into as not ready, with the folder and the error code', async () => {
    const r = await probeWritable(join(dir, 'missing'));
    assert.equal(r.ready, false);
    assert.match(r.ready ? '' : r.reason, /missing is not writable: ENOENT/);
  });

  it('gives the first failing check of several', async () => {
    const r = await firstUnready([() => ({ ready: true }), () => ({ ready: false, reason: 'no listener bound' }), () => ({ ready: false, reason: 'later' })]);
    assert.deepEqual(r, { ready: false, reason: 'no listener bound' });
  });
});
