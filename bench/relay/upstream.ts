// The local upstream the relay's smtp route delivers to in the delivery benchmark, in a process of its own (not on
// the load generator's thread): Postfix's smtp-sink when installed, else smtp-server discarding (upstream-child).
// Both print a running message counter (`mesg=N`), so what is delivered is counted by the upstream, not the relay.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, SMTP_SINK } from '../servers/smtp-sink.js';

const CHILD = new URL('./upstream-child.js', import.meta.url);

export interface Upstream {
  /** Which server it is, for the benchmark row. */
  name: string;
  port: number;
  /** Messages the upstream has received (ended with "." and answered) since it started. */
  received(): number;
  close(): Promise<void>;
}

/** Resolves once the server at `port` sends its greeting; the probe sends no message. */
async function greets(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('data', (chunk) => {
      socket.end('QUIT\r\n');
      resolve(chunk.toString('latin1').startsWith('220'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts smtp-sink (when installed) or the smtp-server child on a free port (or `at`: another loopback address, as
 * an MX host of the relay-mx suite) and waits until it greets.
 */
export async function startUpstream(at: { host: string; port: number } | null = null): Promise<Upstream> {
  const host = at?.host ?? '127.0.0.1';
  const port = at?.port ?? (await freePort());
  const sink = existsSync(SMTP_SINK);
  let child: ChildProcess;
  if (sink) {
    // -c: the running counter on stdout; -u: smtp-sink refuses to run as root without dropping privileges.
    const args = ['-c', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `${host}:${port}`, '1024'];
    child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  } else {
    child = spawn(process.execPath, [fileURLToPath(CHILD), String(port), host], { stdio: ['ignore', 'pipe', 'inherit'] });
  }
  let messages = 0;
  let tail = '';
  child.stdout!.setEncoding('latin1');
  child.stdout!.on('data', (chunk: string) => {
    // Counter lines end with \r; only the last complete one matters.
    const text = tail + chunk;
    const end = text.lastIndexOf('\r');
    if (end < 0) {
      tail = text;
      return;
    }
    tail = text.slice(end + 1);
    const at = text.lastIndexOf('mesg=', end);
    if (at >= 0) messages = Number.parseInt(text.slice(at + 5, end), 10);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 100 && !(await greets(port, host)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.exitCode !== null || !(await greets(port, host))) {
    child.kill('SIGKILL');
    throw new Error(`upstream ${sink ? SMTP_SINK : 'smtp-server child'} did not start on ${host}:${port}`);
  }
  return {
    name: sink ? 'Postfix smtp-sink' : 'smtp-server (discard)',
    port,
    received: () => messages,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
