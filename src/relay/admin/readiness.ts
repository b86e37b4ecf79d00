// Readiness for /readyz: the relay reports whether its listeners are bound; this file adds the check that
// the spool folder still takes writes (a read-only remount or a full disk makes the relay unready).
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Creates, fsyncs and removes a small probe file in `dir`; the reason when that fails. */
export async function probeWritable(dir: string): Promise<Readiness> {
  const path = join(dir, `.ready-probe-${randomBytes(6).toString('hex')}`);
  try {
    const f = await open(path, 'wx', 0o600);
    try {
      await f.write('ok');
      await f.datasync();
    } finally {
      await f.close();
    }
    await unlink(path);
    return { ready: true };
  } catch (err) {
    await unlink(path).catch(() => undefined);
    return { ready: false, reason: `spool folder ${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}

/** The first unready result of several checks, run in order. */
export async function firstUnready(checks: readonly (() => Readiness | Promise<Readiness>)[]): Promise<Readiness> {
  for (const check of checks) {
    const r = await check();
    if (!r.ready) return r;
  }
  return { ready: true };
}
