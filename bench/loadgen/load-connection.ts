// One client SMTP connection of the load generator: greeting, EHLO, optional STARTTLS and AUTH PLAIN,
// then message transactions in lock-step or pipelined (RFC 2920) form, then QUIT.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { dataPayload } from './data-payload.js';
import type { LoadStats } from './load-stats.js';
import type { ResolvedLoadOptions } from './options.js';
import { LoadConnectionError, ReplyReader, type Reply } from './reply-reader.js';

/** A reply that ends the connection setup (e.g. 554 greeting, 535 to AUTH); counted by its code. */
export class UnexpectedReplyError extends Error {
  readonly reply: Reply;
  constructor(command: string, reply: Reply) {
    super(`${command}: ${reply.code} ${reply.text}`);
    this.name = 'UnexpectedReplyError';
    this.reply = reply;
  }
}

/** How a transaction ended: accepted, refused (the connection is still usable), or the server is closing. */
export type TransactionOutcome = 'accepted' | 'refused' | 'closing';

const CRLF = '\r\n';
const DATA_COMMAND = 'DATA\r\n';
const RSET_COMMAND = 'RSET\r\n';
const QUIT_COMMAND = 'QUIT\r\n';

function isPositive(reply: Reply): boolean {
  return reply.code >= 200 && reply.code < 300;
}

export class LoadConnection {
  private socket: Socket | null = null;
  private readonly reader = new ReplyReader();
  private readonly mailCommand: string;
  private readonly headerPrefix: Buffer | null;

  constructor(
    private readonly o: ResolvedLoadOptions,
    private readonly stats: LoadStats,
  ) {
    this.mailCommand = `MAIL FROM:<${o.from}>${CRLF}`;
    this.headerPrefix = o.headerApiKey === undefined ? null : Buffer.from(`X-Auth-APIKey: ${o.headerApiKey}${CRLF}`);
  }

  /** Connects and runs the session setup; throws LoadConnectionError or UnexpectedReplyError. */
  async open(): Promise<void> {
    const socket = netConnect({ host: this.o.host, port: this.o.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.reader.attach(socket, this.o.replyTimeoutMs);
    await this.expect('greeting', 220);
    await this.command(`EHLO ${this.o.ehloName}${CRLF}`, 250);
    if (this.o.startTls) await this.startTls(socket);
    if (this.o.authKey !== undefined) {
      const token = Buffer.from(`\0${this.o.authUser}\0${this.o.authKey}`).toString('base64');
      await this.command(`AUTH PLAIN ${token}${CRLF}`, 235);
    }
  }

  /** Sends message `index`; counts its non-2xx replies and, when accepted, its latency. */
  async send(index: number): Promise<TransactionOutcome> {
    const rcpts: string[] = [];
    for (let r = 0; r < this.o.rcptCount; r++) rcpts.push(`RCPT TO:<${this.o.recipient(index, r)}>${CRLF}`);
    return this.o.mode === 'pipelined' ? this.sendPipelined(index, rcpts) : this.sendLockStep(index, rcpts);
  }

  /** Ends the session politely; failures here do not matter to the figures. */
  async quit(): Promise<void> {
    try {
      this.write(QUIT_COMMAND);
      await this.reader.next();
    } catch {
      // The server may hang up without a 221; the messages were already counted.
    } finally {
      this.destroy();
    }
  }

  /** Fails whatever is awaited with `key` (e.g. "timeout:run") and drops the connection. */
  abort(key: string): void {
    this.reader.fail(new LoadConnectionError(key));
    this.destroy();
  }

  destroy(): void {
    this.socket?.destroy();
  }

  private async sendLockStep(index: number, rcpts: string[]): Promise<TransactionOutcome> {
    this.write(this.mailCommand);
    const mail = await this.reader.next();
    if (!isPositive(mail)) return this.refused('MAIL', mail);
    let accepted = 0;
    for (const rcpt of rcpts) {
      this.write(rcpt);
      const reply = await this.reader.next();
      if (isPositive(reply)) accepted++;
      else if (this.countRefusal('RCPT', reply) === 'closing') return 'closing';
    }
    if (accepted === 0) return this.reset();
    this.write(DATA_COMMAND);
    const data = await this.reader.next();
    if (data.code !== 354) return this.refused('DATA', data);
    return this.sendBody(index);
  }

  private async sendPipelined(index: number, rcpts: string[]): Promise<TransactionOutcome> {
    // RFC 2920: MAIL, every RCPT and DATA go out in one write; DATA ends the batch.
    this.write(this.mailCommand + rcpts.join('') + DATA_COMMAND);
    const mail = await this.reader.next();
    if (!isPositive(mail) && this.countRefusal('MAIL', mail) === 'closing') return 'closing';
    for (let r = 0; r < rcpts.length; r++) {
      const reply = await this.reader.next();
      if (!isPositive(reply) && this.countRefusal('RCPT', reply) === 'closing') return 'closing';
    }
    const data = await this.reader.next();
    if (data.code === 354) return this.sendBody(index);
    return this.refused('DATA', data);
  }

  private async sendBody(index: number): Promise<TransactionOutcome> {
    const [body, end] = dataPayload(this.o.message(index));
    const socket = this.socket!;
    socket.cork();
    if (this.headerPrefix) socket.write(this.headerPrefix);
    socket.write(body);
    socket.write(end);
    const sentAt = performance.now();
    socket.uncork();
    const reply = await this.reader.next();
    if (!isPositive(reply)) return this.countRefusal('end of DATA', reply) === 'closing' ? 'closing' : 'refused';
    this.stats.accepted(performance.now() - sentAt, reply.text);
    return 'accepted';
  }

  /** Counts a refusal; a 421 means the server is closing the connection (RFC 5321 §3.8). */
  private countRefusal(command: string, reply: Reply): 'closing' | 'refused' {
    this.stats.error(String(reply.code), `${command}: ${reply.code} ${reply.text}`);
    return reply.code === 421 ? 'closing' : 'refused';
  }

  private async refused(command: string, reply: Reply): Promise<TransactionOutcome> {
    if (this.countRefusal(command, reply) === 'closing') return 'closing';
    return this.reset();
  }

  /** RSET after a refused transaction so the next message starts clean. */
  private async reset(): Promise<TransactionOutcome> {
    this.write(RSET_COMMAND);
    const reply = await this.reader.next();
    if (!isPositive(reply)) return this.countRefusal('RSET', reply) === 'closing' ? 'closing' : 'refused';
    return 'refused';
  }

  private async startTls(plain: Socket): Promise<void> {
    await this.command(`STARTTLS${CRLF}`, 220);
    // RFC 3207 §4.2: nothing read before the handshake may be trusted, so the reader starts empty.
    this.reader.detach();
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
    this.socket = secure;
    this.reader.attach(secure, this.o.replyTimeoutMs);
    await this.command(`EHLO ${this.o.ehloName}${CRLF}`, 250);
  }

  private async command(line: string, expected: number): Promise<Reply> {
    this.write(line);
    return this.expect(line.trimEnd().split(' ', 1)[0]!, expected);
  }

  private async expect(what: string, code: number): Promise<Reply> {
    const reply = await this.reader.next();
    if (reply.code !== code) throw new UnexpectedReplyError(what, reply);
    return reply;
  }

  private write(text: string): void {
    this.socket!.write(text);
  }
}
