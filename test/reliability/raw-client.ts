// A raw SMTP client over a real socket: writes bytes exactly as given and collects every reply byte,
// so hostile input (bare CR/LF, huge lines, pipelined floods) reaches the server unmodified.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export class RawClient {
  text = '';
  /** Reply lines seen so far (complete lines only). */
  replyCount = 0;
  readonly closed: Promise<void>;
  closedAt = 0;
  isClosed = false;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private socket: Socket | TLSSocket;
  private maxText: number;

  constructor(readonly port: number, options: { maxText?: number; localAddress?: string } = {}) {
    this.maxText = options.maxText ?? 1 << 20;
    this.socket = connect({ port, host: '127.0.0.1', ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    this.closed = this.attach(this.socket);
  }

  private attach(socket: Socket | TLSSocket): Promise<void> {
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => this.onData(d));
    return new Promise((r) =>
      socket.on('close', () => {
        this.isClosed = true;
        this.closedAt = Date.now();
        this.wake();
        r();
      }),
    );
  }

  private onData(d: Buffer): void {
    const s = d.toString('latin1');
    for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) this.replyCount++;
    // Keep the head and the tail of a huge reply stream, enough for assertions without unbounded growth.
    this.text = this.text.length < this.maxText ? this.text + s : this.text.slice(0, this.maxText / 2) + this.text.slice(-this.maxText / 2 + s.length) + s;
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length > 0) this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  write(data: string | Buffer): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves when the condition holds (checked on every byte received and at close); rejects after timeoutMs. */
  until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout (${timeoutMs} ms) waiting for ${what}; got: ${JSON.stringify(this.text.slice(-400))}`)), timeoutMs);
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Waits until the collected text matches `re` (searched from `from`). */
  waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<void> {
    return this.until(() => re.test(this.text.slice(from)), String(re), timeoutMs);
  }

  waitClosed(timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.isClosed, 'close', timeoutMs);
  }

  /** Upgrades to TLS (after a 220 to STARTTLS), without certificate checks; collects what comes over TLS separately. */
  async startTls(): Promise<void> {
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    this.text = '';
    const tls = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
    this.socket = tls;
    tls.on('data', (d: Buffer) => this.onData(d));
    tls.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('error', reject);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** EHLO + MAIL + RCPT + DATA, then the given body bytes, in one write (PIPELINING: DATA ends the batch, body follows). */
export function transaction(body: string, rcpt = 'to@example.net'): string {
  return `EHLO client.test\r\nMAIL FROM:<from@example.com>\r\nRCPT TO:<${rcpt}>\r\nDATA\r\n${body}`;
}
