// The relay as `npm start` runs it (dist/src/cli.js, the embedded default), on free ports and a temp data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve('dist/src/cli.js');

export interface RelayCli {
  child: ChildProcess;
  dataDir: string;
  /** Everything the relay wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects after `timeoutMs` or when the relay exits. */
  waitForStdout(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The demo API key the relay created in its data folder. */
  demoKey(): Promise<string>;
  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Environment for a child without the parent's LOG_FORMAT and colour settings, plus `env`. */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete out['LOG_FORMAT'];
  delete out['FORCE_COLOR'];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * Starts `node dist/src/cli.js --data <temp> --ports 0 --admin-port 0 ...` (the embedded default on free ports).
 * `command` replaces the argv (e.g. to run it under `script`); the data folder is passed in `{data}`.
 */
export async function startRelayCli(options: { env?: Record<string, string | undefined>; command?: (data: string) => string[] } = {}): Promise<RelayCli> {
  const dataDir = await mkdtemp(join(tmpdir(), 'txrelay-cli-'));
  const argv = options.command?.(dataDir) ?? [process.execPath, CLI, '--data', dataDir, '--ports', '0', '--admin-port', '0'];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv({ LOG_LEVEL: 'info', ...options.env }), detached: true });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
    for (const l of listeners) l();
  });
  return {
    child,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    waitForStdout(pattern, what, timeoutMs = 15_000) {
      return new Promise((resolveMatch, reject) => {
        const check = (): void => {
          const m = out.match(pattern);
          if (m) done(() => resolveMatch(m));
          else if (exitCode !== undefined) done(() => reject(new Error(`relay exited (${exitCode}) before ${what}\nstdout:\n${out}\nstderr:\n${err}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`))), timeoutMs);
        const done = (f: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    demoKey: async () => (await readFile(join(dataDir, 'demo-api-key'), 'utf8')).trim(),
    async stop(timeoutMs = 15_000) {
      if (exitCode !== undefined) return exitCode;
      // The whole process group: a wrapper such as `script` passes the signal on to the relay too.
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
