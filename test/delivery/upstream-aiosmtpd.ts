// Starts Python's aiosmtpd (Debian python3-aiosmtpd) as an upstream smarthost, scripted by aiosmtpd-handler.py.
// Tests that use it are guarded with { skip: needTool('aiosmtpd') }.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { requireTool } from '../support/system-tools.js';

const HANDLER = fileURLToPath(new URL('../../../test/delivery/aiosmtpd-handler.py', import.meta.url));
/** How long the child may take to print READY; it fails sooner, with its stderr, if it exits or cannot start. */
const START_TIMEOUT_MS = 15_000;

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
  /** Resolves when `count` messages have arrived; rejects, with its stderr, if aiosmtpd exits first. */
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
  const child: ChildProcess = spawn(requireTool('aiosmtpd'), [HANDLER, String(p), JSON.stringify(script)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: AiosmtpdMessage[] = [];
  const waiters: { count: number; resolve(): void; reject(err: Error): void }[] = [];
  let stderr = '';
  let exited: Error | null = null;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.once('close', (code, signal) => {
    exited = new Error(`aiosmtpd exited with ${code ?? signal} after ${messages.length} messages: ${stderr}`);
    for (const w of waiters.splice(0)) w.reject(exited);
  });
  const lines = createInterface({ input: child.stdout! });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`aiosmtpd printed no READY within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
      const fail = (err: Error): void => (clearTimeout(timer), reject(err));
      child.once('error', (err) => fail(new Error(`aiosmtpd did not start: ${err.message}`)));
      // 'close' rather than 'exit': by then stderr has been read to the end, so the message carries all of it.
      child.once('close', (code, signal) => fail(new Error(`aiosmtpd exited with ${code ?? signal} before READY: ${stderr}`)));
      lines.on('line', (line) => {
        if (line === 'READY') return (clearTimeout(timer), resolve());
        const m = JSON.parse(line) as { from: string; to: string[]; options: string[]; body: string; peer: string };
        messages.push({ ...m, body: Buffer.from(m.body, 'base64') });
        for (const w of waiters.splice(0)) {
          if (messages.length >= w.count) w.resolve();
          else waiters.push(w);
        }
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port: p,
    messages,
    waitFor(count) {
      if (messages.length >= count) return Promise.resolve();
      if (exited) return Promise.reject(exited);
      return new Promise<void>((resolve, reject) => waiters.push({ count, resolve, reject }));
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
