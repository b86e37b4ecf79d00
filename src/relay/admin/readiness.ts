// Readiness for /readyz: the relay reports whether its listeners are bound; this file adds the check that
// the spool folder still takes writes (a read-only remount or a full disk makes the relay unready).
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** `degraded`: ready, but running without something (the shared store down: caches and per-relay limits). */
export type Readiness = { ready: true; degraded?: string } | { ready: false; reason: string };

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

/** The first unready result of several checks, run in order; else ready, with the first degradation if any. */
export async function firstUnready(checks: readonly (() => Readiness | Promise<Readiness>)[]): Promise<Readiness> {
  let degraded: string | undefined;
  for (const check of checks) {
    const r = await check();
    if (!r.ready) return r;
    degraded ??= r.degraded;
  }
  return degraded === undefined ? { ready: true } : { ready: true, degraded };
}

/**
 * The runtime store's part of readiness. A store that is down leaves the relay ready but degraded: every relay
 * of a fleet shares the one Redis, so answering "not ready" would take them all out of the load balancer at
 * once, while each can still accept (caches, per-relay limits, suppressions journaled).
 */
export function storeReadiness(health: { up: boolean; pendingWrites: number; lastError: string | null }): Readiness {
  if (health.up) return { ready: true };
  return { ready: true, degraded: `store down: degraded (${health.lastError ?? 'not connected'}; ${health.pendingWrites} writes pending)` };
}
