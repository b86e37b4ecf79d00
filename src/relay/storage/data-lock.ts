// One relay per data folder: the spool and the event log assume a single writer. `<data>/txrelay.pid` holds the
// owner's pid; a file left by a process that is gone (kill -9, power loss) is taken over.
import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export class DataFolderLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`the data folder ${dir} is in use by another txrelay process (pid ${pid}); one relay per data folder`);
    this.name = 'DataFolderLockedError';
  }
}

/** A live process that could be a relay: after a kill -9 its pid may have been reused by something else. */
function heldBy(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('node');
  } catch {
    return true; // no /proc (not Linux): trust the signal check
  }
}

/** Takes the folder for this process; resolves to the release function. */
export async function lockDataFolder(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'txrelay.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        // Only remove the file if it is still ours.
        const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (owner === process.pid) await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && heldBy(owner)) throw new DataFolderLockedError(dir, owner);
    // Stale (its process is gone, or the file is empty): take it over.
    await unlink(path).catch(() => undefined);
  }
  throw new Error(`cannot take the lock file ${path}`);
}
