// Test helpers: a raw-socket SMTP client for exact bytes, server start/stop, certificates, child-process clients.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { execFile } from 'node:child_process';
import { SmtpServer, type SmtpServerOptions } from '../../src/protocol/server.js';
import { RecordingBackend, type RecordingBackendOptions } from './test-backend.js';
import { createTestCertificate } from '../../bench/servers/tls-cert.js';

export interface Harness {
  server: SmtpServer;
  backend: RecordingBackend;
  port: number;
  logs: { level: string; obj: object; msg?: string | undefined }[];
  stop(): Promise<void>;
}

export async function startServer(options: SmtpServerOptions = {}, backendOptions: RecordingBackendOptions = {}): Promise<Harness> {
  const backend = new RecordingBackend(backendOptions);
  const logs: Harness['logs'] = [];
  const log = (level: string) => (obj: object, msg?: string) => {
    logs.push({ level, obj, msg });
  };
  const server = new SmtpServer(backend, {
    hostname: 'mx.test',
    authFailureDelayMs: 1,
    logger: { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') },
    ...options,
  });
  const address = await server.listen(0, '127.0.0.1');
  return { server, backend, port: address.port, logs, stop: () => server.close(200) };
}

/** A client that reads whole replies (multi-line aware) and can write exact bytes. */
export class RawClient {
  private buffer = '';
  private waiters: (() => void)[] = [];
  /** Every 'data' event as received, to check that a batch of replies came in one write. */
  readonly reads: string[] = [];
  closed = false;

  constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.reads.push(d);
      this.buffer += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves with the next complete reply (all its lines), or null when the connection closed first. */
  async reply(): Promise<string | null> {
    for (;;) {
      const r = this.takeReply();
      if (r !== null) return r;
      if (this.closed) return null;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private takeReply(): string | null {
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl < 0) return null;
      const line = this.buffer.slice(start, nl);
      if (line.length < 4 || line[3] !== '-') {
        const out = this.buffer.slice(0, nl + 1);
        this.buffer = this.buffer.slice(nl + 1);
        return out;
      }
      start = nl + 1;
    }
  }

  /** Sends a command and returns its reply. */
  async send(line: string): Promise<string | null> {
    this.write(line + '\r\n');
    return this.reply();
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Everything received that has not been taken as a reply. */
  get rest(): string {
    return this.buffer;
  }

  /** Upgrades to TLS after a 220 to STARTTLS. */
  async startTls(): Promise<void> {
    const raw = this.socket as Socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Expects the reply to start with `prefix` (code and enhanced code). */
export function code(reply: string | null): string {
  return reply === null ? 'CLOSED' : reply.slice(0, 9);
}

let certCache: { key: Buffer; cert: Buffer } | null = null;

/** A throwaway self-signed P-256 certificate for localhost, generated once per test file. */
export function testCertificate(): { key: Buffer; cert: Buffer } {
  if (certCache !== null) return certCache;
  const made = createTestCertificate();
  made.remove();
  certCache = { key: made.key, cert: made.cert };
  return certCache;
}

/** Runs a child process to completion, with stdin; resolves with its exit code and output. */
export function run(cmd: string, args: string[], input = '', timeoutMs = 20000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | undefined) ?? 1 : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end(input);
  });
}

/** A minimal complete session up to (not including) DATA's body. */
export async function openTransaction(client: RawClient, to = 'bob@example.com'): Promise<void> {
  await client.reply();
  await client.send('EHLO client.test');
  await client.send('MAIL FROM:<alice@example.com>');
  await client.send(`RCPT TO:<${to}>`);
}
