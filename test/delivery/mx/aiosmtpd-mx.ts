// Starts test/fixtures/aiosmtpd/mx_host.py (Debian's python3-aiosmtpd) as a faulty MX host on a loopback address
// (127.0.0.x) and the port a test's MX hosts share. Tests that use it are guarded with
// { skip: needTool('aiosmtpd') }.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { requireTool } from '../../support/system-tools.js';

// From dist/test/delivery/mx/ back to the sources: the fixture is not compiled.
const SCRIPT = fileURLToPath(new URL('../../../../test/fixtures/aiosmtpd/mx_host.py', import.meta.url));
/** How long the child may take to print READY; it fails sooner, with its stderr, if it exits first. */
const START_TIMEOUT_MS = 15_000;

/** The faults mx_host.py knows (its head comment): each makes it misbehave in one way. */
export interface MxFaults {
  greeting?: string;
  greetingDelay?: number;
  replyDelay?: number;
  rcpt?: string;
  starttls?: 'broken' | 'garbage';
}

export interface AiosmtpdMx {
  host: string;
  /** Each connection's source address, in order. */
  readonly peers: string[];
  readonly messages: { from: string; to: string[]; peer: string; body: Buffer }[];
  /**
   * Resolves when `count` messages (and, if given, `peers` connections) have been reported: the child prints each
   * before its reply, but its stdout may reach us after the route has its outcome.
   */
  waitFor(count: number, peers?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startAiosmtpdMx(host: string, port: number, faults: MxFaults = {}): Promise<AiosmtpdMx> {
  const child = spawn(requireTool('aiosmtpd'), [SCRIPT, host, String(port), JSON.stringify(faults)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const peers: string[] = [];
  const messages: AiosmtpdMx['messages'] = [];
  const waiters: { done(): boolean; resolve(): void }[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) {
      if (w.done()) w.resolve();
      else waiters.push(w);
    }
  };
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mx_host.py on ${host}:${port} printed no READY within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
      const fail = (err: Error): void => (clearTimeout(timer), reject(err));
      child.once('error', (err) => fail(new Error(`mx_host.py did not start: ${err.message}`)));
      child.once('close', (code, signal) => fail(new Error(`mx_host.py on ${host}:${port} exited with ${code ?? signal} before READY: ${stderr}`)));
      lines.on('line', (line) => {
        if (line === 'READY') return (clearTimeout(timer), resolve());
        const e = JSON.parse(line) as { event: 'connect' | 'message'; peer: string; from: string; to: string[]; body: string };
        if (e.event === 'connect') peers.push(e.peer);
        else messages.push({ from: e.from, to: e.to, peer: e.peer, body: Buffer.from(e.body, 'base64') });
        wake();
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    host,
    peers,
    messages,
    waitFor(count, peerCount = 0, timeoutMs = 10_000) {
      const done = (): boolean => messages.length >= count && peers.length >= peerCount;
      if (done()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${host} reported ${messages.length} of ${count} messages and ${peers.length} of ${peerCount} connections within ${timeoutMs} ms: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({ done, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
        // Open sessions can keep the loop busy; never let a test hang on them.
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      }),
  };
}
