// Reads SMTP replies (RFC 5321 §4.2) off a socket and hands them out in order, one per awaited reply.
// Pipelined batches are simply several `next()` calls in a row: replies are queued until asked for.
import type { Duplex } from 'node:stream';

/** One complete reply: the 3-digit code and the text of every line joined with "\n". */
export interface Reply {
  code: number;
  text: string;
}

/** Why a connection failed; `key` is what the load result counts it under (e.g. "timeout:reply"). */
export class LoadConnectionError extends Error {
  readonly key: string;
  constructor(key: string, message?: string) {
    super(message ?? key);
    this.name = 'LoadConnectionError';
    this.key = key;
  }
}

function closedError(): LoadConnectionError {
  return new LoadConnectionError('closed', 'connection closed by server');
}

interface Waiter {
  resolve(reply: Reply): void;
  reject(err: LoadConnectionError): void;
}

export class ReplyReader {
  private stream: Duplex | null = null;
  // Text received but not yet a complete line; latin1 keeps one char per byte and never throws.
  private partial = '';
  private lines: string[] = [];
  private readonly ready: Reply[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: LoadConnectionError | null = null;
  private closed = false;

  private readonly onData = (chunk: Buffer): void => this.receive(chunk.toString('latin1'));
  private readonly onError = (err: NodeJS.ErrnoException): void =>
    this.fail(new LoadConnectionError(`socket:${err.code ?? 'error'}`, err.message));
  private readonly onClose = (): void => {
    // Most connections close after QUIT with nothing awaited: skip building an Error (and its stack) then.
    if (this.waiters.length > 0) this.fail(closedError());
    else this.closed = true;
  };
  private readonly onTimeout = (): void => {
    // The idle timer also fires between messages in rate mode; only a reply we are waiting for counts.
    if (this.waiters.length > 0) {
      this.fail(new LoadConnectionError('timeout:reply', 'no reply within the reply timeout'));
      this.stream?.destroy();
    }
  };

  /** Reads from `stream` from now on, with `replyTimeoutMs` of silence allowed while a reply is awaited. */
  attach(stream: Duplex & { setTimeout(ms: number): unknown }, replyTimeoutMs: number): void {
    this.stream = stream;
    stream.on('data', this.onData);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    stream.on('timeout', this.onTimeout);
    stream.setTimeout(replyTimeoutMs);
  }

  /** Stops reading and forgets buffered input (STARTTLS: nothing sent in plaintext may survive the upgrade). */
  detach(): void {
    const s = this.stream;
    if (s) {
      s.off('data', this.onData);
      s.off('error', this.onError);
      s.off('close', this.onClose);
      s.off('timeout', this.onTimeout);
      (s as Duplex & { setTimeout?(ms: number): unknown }).setTimeout?.(0);
    }
    this.stream = null;
    this.partial = '';
    this.lines = [];
    this.ready.length = 0;
  }

  /** The next reply, in the order the server sent them. */
  next(): Promise<Reply> {
    const reply = this.ready.shift();
    if (reply) return Promise.resolve(reply);
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(closedError());
    return new Promise<Reply>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Fails every awaited and future reply with `err` (first failure wins). */
  fail(err: LoadConnectionError): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private receive(text: string): void {
    const data = this.partial + text;
    let start = 0;
    for (;;) {
      const end = data.indexOf('\r\n', start);
      if (end < 0) break;
      this.line(data.slice(start, end));
      start = end + 2;
    }
    this.partial = start === 0 ? data : data.slice(start);
  }

  private line(line: string): void {
    this.lines.push(line.slice(4));
    // "250-..." continues a multi-line reply; "250 ..." or a bare "250" ends it.
    if (line.charCodeAt(3) === 45 /* - */) return;
    const code = Number.parseInt(line.slice(0, 3), 10);
    const reply: Reply = { code: Number.isNaN(code) ? 0 : code, text: this.lines.length === 1 ? this.lines[0]! : this.lines.join('\n') };
    this.lines = [];
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(reply);
    else this.ready.push(reply);
  }
}
