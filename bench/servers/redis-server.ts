// Debian's redis-server for the store suite and, through test/store/redis-server.ts, the tests: on a free
// loopback port, its data in a temporary folder (AOF, so a stop and a start keep the data, as a production
// Redis with persistence would), stoppable and restartable on the same port. Every wait has a timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs it; the tests pass the one their tool table finds. */
export const REDIS_SERVER = '/usr/bin/redis-server';

const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;

/** A port that was free a moment ago (the kernel's pick), on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(readonly port: number, readonly dir: string, private readonly binary: string) {}

  /** `port`: a given one (to start a Redis where a store already tries to connect); default a free one. */
  static async start(port?: number, binary: string = REDIS_SERVER): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), mkdtempSync(join(tmpdir(), 'txrelay-redis-')), binary);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts it (again) on the same port and folder; resolves once it answers PING. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    if (!existsSync(this.binary)) throw new Error(`${this.binary} is not installed (apt-get install redis-server)`);
    const child = spawn(this.binary, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes', '--loglevel', 'warning'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-4000)));
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.ping())) {
      if (this.child !== child) throw new Error(`redis-server exited at start: ${this.output}`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`redis-server did not answer within ${START_TIMEOUT_MS} ms: ${this.output}`);
      }
      await sleep(50);
    }
  }

  /** Stops it (SIGTERM, then SIGKILL); the folder stays for a restart. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }

  /** Pauses (SIGSTOP) or resumes (SIGCONT) the process: a Redis that keeps its connections open and answers nothing. */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Stops it and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect(this.port, '127.0.0.1');
      let reply = '';
      const done = (ok: boolean): void => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(500, () => done(false));
      s.once('error', () => done(false));
      s.on('data', (d: Buffer) => {
        reply += d.toString();
        if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
      });
      s.once('connect', () => s.write('PING\r\n'));
    });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds or `timeoutMs` passes; returns the time it took, or throws naming `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}
