// The spool on a small tmpfs that fills up mid-load (SPEC §3, §5): 451 4.3.0 while full, service again once a filler
// file is deleted, and every acknowledged message delivered whole. Needs root (mount); the test skips otherwise.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, rmdir, statfs, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from '../../bench/loadgen.js';
import { KEY, RelayChild, halfWrittenFiles, outboxIds, waitUntil, writeRelayConfig } from './relay-child.js';

export interface DiskFigures {
  cycles: number;
  acked: number;
  refused451: number;
  /** Cycles in which the load saw 451 4.3.0 while the disk was full. */
  fullCycles: number;
  /** Cycles in which every message was accepted after the filler was deleted. */
  recoveredCycles: number;
  lost: string[];
  halfWritten: string[];
  extraDelivered: number;
  pendingAfterRestart: number;
  exitCode: number | null;
  errors: Record<string, number>;
}

export function canMountTmpfs(): string | null {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  return null;
}

/** mount(8) refused (a container without CAP_SYS_ADMIN, say): the test skips with the reason. */
export class TmpfsUnavailable extends Error {}

/** Puts the held outbox back; a retry may have recreated the folder (and written to it) since the placeholder went. */
async function restoreHeld(held: string, outbox: string): Promise<void> {
  try {
    await rename(held, outbox);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    for (const name of await readdir(held)) await rename(join(held, name), join(outbox, name));
    await rmdir(held);
  }
}

/** Each cycle: fill the tmpfs to `leaveBytes` free, send `messages` (some get 451), delete the filler, send again (all 250). */
export async function runDiskFullScenario(o: { cycles: number; messages: number; sessions: number; tmpfsMB: number; leaveBytes: number; progress?: (l: string) => void }): Promise<DiskFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-disk-'));
  const data = join(dir, 'data');
  await mkdir(data);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${o.tmpfsMB}m`, 'tmpfs', data], { encoding: 'utf8' });
  if (mount.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new TmpfsUnavailable(`cannot mount a tmpfs here: ${mount.stderr.trim()}`);
  }
  let relay: RelayChild | null = null;
  try {
    const outbox = join(dir, 'outbox'); // on the big disk: only the spool (and the event log) fill up
    const config = await writeRelayConfig({ dir, dataDir: data, outbox });
    const started = await RelayChild.start(config);
    relay = started.relay;
    const acked: string[] = [];
    const errors: Record<string, number> = {};
    let refused451 = 0;
    let fullCycles = 0;
    let recoveredCycles = 0;
    const filler = join(data, 'filler');
    const held = `${outbox}.held`;
    for (let cycle = 0; cycle < o.cycles; cycle++) {
      // Delivery is held (the route's folder is replaced by a file) so the spool cannot free space during the phase.
      await mkdir(outbox, { recursive: true });
      await rename(outbox, held);
      await writeFile(outbox, 'delivery held');
      const s = await statfs(data);
      const free = s.bavail * s.bsize;
      await writeFile(filler, Buffer.alloc(Math.max(0, free - o.leaveBytes))).catch(() => undefined);
      const full = await runLoad({ port: started.port, sessions: o.sessions, count: o.messages, messagesPerConnection: 10, headerApiKey: KEY, messageSize: 4096, timeLimitMs: 120_000 });
      acked.push(...full.acked);
      for (const [k, v] of Object.entries(full.errors)) errors[k] = (errors[k] ?? 0) + v;
      const n451 = full.errors['451'] ?? 0;
      refused451 += n451;
      if (n451 > 0) fullCycles++;
      await unlink(filler);
      await unlink(outbox);
      await restoreHeld(held, outbox);
      // Space is back: once the spool drains what it holds, everything is accepted again.
      await waitUntil(async () => {
        const d = await outboxIds(outbox);
        return acked.every((id) => d.has(id));
      }, 30_000, 100);
      const after = await runLoad({ port: started.port, sessions: o.sessions, count: o.messages, messagesPerConnection: 10, headerApiKey: KEY, messageSize: 4096, timeLimitMs: 120_000 });
      acked.push(...after.acked);
      for (const [k, v] of Object.entries(after.errors)) errors[k] = (errors[k] ?? 0) + v;
      if (after.acked.length === o.messages) recoveredCycles++;
      o.progress?.(`disk cycle ${cycle + 1}: full: ${full.acked.length}/${o.messages} acked, ${n451} x 451; after: ${after.acked.length}/${o.messages} acked ${JSON.stringify(after.errors)}`);
    }
    await waitUntil(async () => {
      const d = await outboxIds(outbox);
      return acked.every((id) => d.has(id));
    }, 60_000, 200);
    const exitCode = await relay.terminate();
    relay = null;
    // A restart on the same spool finds nothing pending and delivers nothing more.
    const again = await RelayChild.start(config);
    relay = again.relay;
    const opened = await relay.waitFor((l) => l['msg'] === 'spool opened', 'spool opened');
    await new Promise((r) => setTimeout(r, 500));
    await relay.terminate();
    relay = null;
    const d = await outboxIds(outbox);
    const ackedSet = new Set(acked);
    return {
      cycles: o.cycles,
      acked: acked.length,
      refused451,
      fullCycles,
      recoveredCycles,
      lost: acked.filter((id) => !d.has(id)),
      halfWritten: await halfWrittenFiles(outbox),
      extraDelivered: [...d.keys()].filter((id) => !ackedSet.has(id)).length,
      pendingAfterRestart: Number(opened['pending'] ?? -1),
      exitCode,
      errors,
    };
  } finally {
    if (relay) await relay.kill9();
    spawnSync('umount', ['-l', data]);
    await rm(dir, { recursive: true, force: true });
  }
}
