// Files that survive a crash whole: the old content or the new, never a mix (chasquid's safeio is the model).
// writeFileDurably: write a temp file in the target's folder, fsync it, rename it over the target, fsync the folder.
// A crash before the rename leaves the old file (and a hidden temp that no later write collides with: its name
// carries a per-process random tag); a crash after it leaves the new one, made durable by the folder fsync.
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** The fs operations the helpers use; injectable so tests can fail (or crash) at any step. */
export interface DurableFileFs {
  open(path: string, flags: string, mode?: number): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export interface WriteDurablyOptions {
  /** Mode of the new file (before the umask); default 0o600. */
  mode?: number;
  /** Default true. False when the caller writes several files and fsyncs their folder once (fsyncDirectory). */
  syncDirectory?: boolean;
  fs?: DurableFileFs;
}

/** Temp files end with this and start with '.': removeDurableTemps finds what a crash left behind. */
export const DURABLE_TEMP_SUFFIX = '.tmp';

// A random tag per process and a counter: temp names never collide between writers, nor with a crashed
// process's leftovers (the pid alone may repeat after a restart), without a CSPRNG call per file.
const processTag = randomBytes(4).toString('hex');
let tempCounter = 0;

/** The hidden temp name a write of `path` goes through. */
export function durableTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${processTag}-${++tempCounter}${DURABLE_TEMP_SUFFIX}`);
}

/** True for a name durableTempPath makes (or an older release's route-file temp of the same shape). */
export function isDurableTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(DURABLE_TEMP_SUFFIX);
}

/** Replaces `path` with `data`, whole or not at all (see the file comment). On failure the temp file is removed. */
export async function writeFileDurably(path: string, data: string | Buffer, options: WriteDurablyOptions = {}): Promise<void> {
  const fs = options.fs ?? (nodeFs as unknown as DurableFileFs);
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const temp = durableTempPath(path);
  let fh: FileHandle | null = null;
  try {
    fh = await fs.open(temp, 'wx', options.mode ?? 0o600);
    let written = 0;
    while (written < body.length) {
      const { bytesWritten } = await fh.write(body, written, body.length - written, written);
      if (bytesWritten === 0) throw new Error('write made no progress');
      written += bytesWritten;
    }
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.rename(temp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw err;
  }
  if (options.syncDirectory ?? true) await fsyncDirectory(dirname(path), fs);
}

/** Makes the folder's entries (created, renamed, removed names) durable. */
export async function fsyncDirectory(dir: string, fs: Pick<DurableFileFs, 'open'> = nodeFs as unknown as DurableFileFs): Promise<void> {
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
