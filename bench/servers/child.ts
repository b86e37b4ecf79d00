// Runs a server under test in its own process, so the benchmark can read that server's CPU time alone.
// The child script calls serveInChild(); this is the parent side. Relay benchmarks reuse it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerChildMessage, ServerChildStats } from './child-messages.js';

export interface ServerChild {
  port: number;
  /** The child's cumulative cpuUsage() and memoryUsage() now. */
  stats(): Promise<ServerChildStats>;
  /** Asks the child to close and exit; kills it if it has not exited within `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartServerChildOptions {
  /** How long the child may take to report its port (default 15 000 ms). */
  startTimeoutMs?: number;
  /** Extra node flags for the child (e.g. --max-old-space-size). */
  execArgv?: string[];
}

function nextMessage<T>(child: ChildProcess, pick: (m: ServerChildMessage) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (m: ServerChildMessage): void => {
      if ('error' in m) {
        cleanup();
        reject(new Error(`server child failed: ${m.error}`));
        return;
      }
      const value = pick(m);
      if (value !== undefined) {
        cleanup();
        resolve(value);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`server child exited (${signal ?? code}) while waiting for ${what}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`server child: no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Forks `script` (a compiled .js calling serveInChild) with `options` as JSON and waits for its port. */
export async function startServerChild<O>(script: string | URL, options: O, opts: StartServerChildOptions = {}): Promise<ServerChild> {
  const path = typeof script === 'string' ? script : fileURLToPath(script);
  const child = fork(path, [JSON.stringify(options ?? {})], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: opts.execArgv ?? [],
    serialization: 'json',
  });
  let exited = child.exitCode !== null;
  child.once('exit', () => {
    exited = true;
  });
  let port: number;
  try {
    port = await nextMessage(child, (m) => ('port' in m ? m.port : undefined), opts.startTimeoutMs ?? 15_000, 'port');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  // Each stats request carries an id, so overlapping requests (e.g. a memory sampler) never swap answers.
  let lastStatsId = 0;
  return {
    port,
    async stats() {
      const id = ++lastStatsId;
      const stats = nextMessage(child, (m) => ('stats' in m && (m.id === id || m.id === undefined) ? m.stats : undefined), 10_000, 'stats');
      child.send({ cmd: 'stats', id });
      return stats;
    },
    async stop(timeoutMs = 5_000) {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      if (child.connected) child.send({ cmd: 'stop' });
      else child.kill('SIGTERM');
      await gone;
      clearTimeout(timer);
    },
  };
}

/** CPU microseconds (user + system) the child spent between two stats() readings. */
export function cpuMicrosBetween(before: ServerChildStats, after: ServerChildStats): number {
  return after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
}
