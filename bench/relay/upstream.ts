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
async function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (chunk) => {
      socket.end('QUIT\r\n');
      resolve(chunk.toString('latin1').startsWith('220'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts smtp-sink (when installed) or the smtp-server child on a free port and waits until it greets. */
export async function startUpstream(): Promise<Upstream> {
  const port = await freePort();
  const sink = existsSync(SMTP_SINK);
  let child: ChildProcess;
  if (sink) {
    // -c: the running counter on stdout; -u: smtp-sink refuses to run as root without dropping privileges.
    const args = ['-c', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'];
    child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  } else {
    child = spawn(process.execPath, [fileURLToPath(CHILD), String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  for (let i = 0; i < 100 && !(await greets(port)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.exitCode !== null || !(await greets(port))) {
    child.kill('SIGKILL');
    throw new Error(`upstream ${sink ? SMTP_SINK : 'smtp-server child'} did not start on port ${port}`);
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
