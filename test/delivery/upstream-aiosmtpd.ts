// Starts Python's aiosmtpd (Debian python3-aiosmtpd) as an upstream smarthost, scripted by aiosmtpd-handler.py.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const HANDLER = fileURLToPath(new URL('../../../test/delivery/aiosmtpd-handler.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

export interface AiosmtpdMessage {
  from: string;
  to: string[];
  options: string[];
  body: Buffer;
  /** The client's source port: messages with the same one came over the same connection. */
  peer: string;
}

export interface AiosmtpdUpstream {
  port: number;
  readonly messages: AiosmtpdMessage[];
  /** Resolves when `count` messages have arrived. */
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Script keys: "mail", "rcpt:<address>", "data"; each a sequence of replies used in turn (the last repeats). */
export type AiosmtpdScript = Record<string, string[]>;

/** A port nothing listens on right now (bound then released), for "upstream down, then back" tests. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startAiosmtpd(script: AiosmtpdScript = {}, port?: number): Promise<AiosmtpdUpstream> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn(PYTHON, [HANDLER, String(p), JSON.stringify(script)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: AiosmtpdMessage[] = [];
  const waiters: { count: number; resolve(): void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`aiosmtpd exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      if (line === 'READY') return resolve();
      const m = JSON.parse(line) as { from: string; to: string[]; options: string[]; body: string; peer: string };
      messages.push({ ...m, body: Buffer.from(m.body, 'base64') });
      for (const w of waiters.splice(0)) {
        if (messages.length >= w.count) w.resolve();
        else waiters.push(w);
      }
    });
  });
  return {
    port: p,
    messages,
    waitFor(count) {
      if (messages.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
        // aiosmtpd's stop() waits for open sessions; do not let a test hang on it.
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
