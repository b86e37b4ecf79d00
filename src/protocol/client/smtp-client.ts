// The SMTP client: one connection to a smarthost, opened with EHLO (HELO fallback), STARTTLS and AUTH, then used
// for any number of transactions. Hand-written on node:net and node:tls; the pool (client-pool.ts) reuses it.
//
// A transaction reports one reply per recipient (the reply that decided it: MAIL, RCPT, DATA or the final dot);
// anything that breaks the session itself is thrown as a typed SmtpClientError (client-errors.ts).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { hostname as osHostname } from 'node:os';
import { isAscii } from 'node:buffer';
import { parsePath, PathSyntaxError } from '../parse.js';
import { ReplyReader, isPositive, type ClientReply } from './client-reply.js';
import { dataChunks } from './dot-stuff.js';
import {
  AuthRefusedError,
  CertificateInvalidError,
  ConnectionClosedError,
  ConnectionFailedError,
  ConnectionRefusedError,
  InvalidAddressError,
  LocalAddressError,
  MessageTooLargeError,
  SmtpClientError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  Smtputf8NotOfferedError,
  TlsHandshakeError,
  TlsNotOfferedError,
} from './client-errors.js';

export type ClientTlsMode = 'required' | 'opportunistic' | 'none';

/** How long each step may take, in ms. */
export interface SmtpClientTimeouts {
  /** TCP connect (not in RFC 5321; a smarthost that does not answer SYN should not hold a slot for minutes). */
  connectMs: number;
  /** The 220 greeting (RFC 5321 §4.5.3.2.1: 5 minutes). */
  greetingMs: number;
  /** EHLO, STARTTLS and the handshake, AUTH, RSET, QUIT (no RFC figure; the 5 minutes of MAIL). */
  commandMs: number;
  /** §4.5.3.2.2: 5 minutes. */
  mailMs: number;
  /** §4.5.3.2.3: 5 minutes. */
  rcptMs: number;
  /** §4.5.3.2.4: DATA initiation, 2 minutes. */
  dataInitMs: number;
  /** §4.5.3.2.5: each block of the body accepted by the socket, 3 minutes. */
  dataBlockMs: number;
  /** §4.5.3.2.6: the reply to the final dot, 10 minutes. */
  dataEndMs: number;
}

export const RFC5321_TIMEOUTS: Readonly<SmtpClientTimeouts> = Object.freeze({
  connectMs: 30_000,
  greetingMs: 300_000,
  commandMs: 300_000,
  mailMs: 300_000,
  rcptMs: 300_000,
  dataInitMs: 120_000,
  dataBlockMs: 180_000,
  dataEndMs: 600_000,
});

export interface SmtpClientOptions {
  host: string;
  port: number;
  /** required: STARTTLS or fail; opportunistic: STARTTLS when offered; none: never. */
  tls: ClientTlsMode;
  /** Verify the server certificate against `ca` (or the system roots) and the host name; default true. */
  verifyCertificate?: boolean;
  /** PEM certificates to trust instead of the system roots. */
  ca?: string | Buffer | null;
  /** Name checked in the certificate and sent as SNI; default `host` (no SNI when host is an IP address). */
  servername?: string;
  /** AUTH PLAIN or LOGIN after STARTTLS; never over a clear connection unless tls is 'none'. */
  auth?: { username: string; password: string } | null;
  /**
   * Source IP address to bind (a sending IP of a pool); default the system's choice. Its family must be the host's:
   * an IP host of the other family is refused before connecting, a host name is resolved in this family only.
   */
  localAddress?: string | null;
  /** Our name in EHLO/HELO; default os.hostname(). */
  clientName?: string;
  timeouts?: Partial<SmtpClientTimeouts>;
}

export interface Envelope {
  /** Reverse path; "" is the null sender <>. */
  from: string;
  to: readonly string[];
}

/** Which command's reply decided a recipient. */
export type TransactionStage = 'MAIL' | 'RCPT' | 'DATA' | 'end of data';

export interface RecipientReply {
  address: string;
  /** True when the server took responsibility for the message to this recipient (2xx to the final dot). */
  accepted: boolean;
  reply: ClientReply;
  stage: TransactionStage;
}

export interface TransactionResult {
  recipients: RecipientReply[];
  /** True when the commands went out in one write (RFC 2920). */
  pipelined: boolean;
}

interface ReplyWaiter {
  resolve(reply: ClientReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  stage: string;
}

interface CheckedAddress {
  address: string;
  nonAscii: boolean;
}

/** Body bytes handed to the socket at once. */
const BLOCK_BYTES = 64 * 1024;

const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export class SmtpClient {
  readonly host: string;
  readonly port: number;
  /** EHLO keywords (upper-case) and their parameters; empty after a HELO fallback. */
  readonly extensions = new Map<string, string>();
  /** True once STARTTLS succeeded. */
  secure = false;
  /** Mechanism used by AUTH, or null. */
  authenticatedWith: 'PLAIN' | 'LOGIN' | null = null;
  /** Transactions attempted on this connection (the pool's per-connection maximum counts these). */
  transactions = 0;
  /** True after a transaction whose body was (at least partly) written: a failure then may not be retried blindly. */
  bodyWritten = false;
  /** Resolves when the connection is closed, whatever the reason. */
  readonly closed: Promise<void>;

  private readonly options: SmtpClientOptions;
  private readonly timeouts: SmtpClientTimeouts;
  private socket!: Socket | TLSSocket;
  private reader: ReplyReader;
  private readonly replies: ClientReply[] = [];
  private waiter: ReplyWaiter | null = null;
  private drainWaiter: { resolve(): void; reject(err: Error): void } | null = null;
  private failure: SmtpClientError | null = null;
  private busy = false;
  private lastSender: { input: string; checked: CheckedAddress } | null = null;
  private markClosed!: () => void;

  private constructor(options: SmtpClientOptions) {
    this.options = options;
    this.host = options.host;
    this.port = options.port;
    this.timeouts = { ...RFC5321_TIMEOUTS, ...options.timeouts };
    this.reader = this.newReader();
    this.closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  }

  /** Connects, reads the greeting, says EHLO, upgrades with STARTTLS and authenticates as the options ask. */
  static async connect(options: SmtpClientOptions): Promise<SmtpClient> {
    const client = new SmtpClient(options);
    try {
      await client.open();
    } catch (err) {
      client.destroy();
      throw err;
    }
    return client;
  }

  /** True when the connection can carry another transaction. */
  get usable(): boolean {
    return this.failure === null && !this.busy;
  }

  // ---------------------------------------------------------------- session set-up

  private async open(): Promise<void> {
    await this.connectTcp();
    const greeting = await this.next('greeting', this.timeouts.greetingMs);
    if (greeting.code !== 220) throw new SmtpReplyError('greeting', greeting);
    await this.hello();
    const { tls } = this.options;
    if (tls !== 'none') {
      if (this.extensions.has('STARTTLS')) {
        this.write('STARTTLS\r\n');
        const r = await this.next('STARTTLS reply', this.timeouts.commandMs);
        if (r.code === 220) {
          await this.startTls();
          // RFC 3207 §4.2: everything learnt before TLS is discarded; EHLO again.
          await this.hello();
        } else if (tls === 'required' || r.code === 421) {
          throw new TlsNotOfferedError(this.host, `STARTTLS refused: ${r.code} ${r.lines.join(' ')}`);
        }
      } else if (tls === 'required') {
        throw new TlsNotOfferedError(this.host);
      }
    }
    const auth = this.options.auth;
    if (auth) {
      if (!this.secure && tls !== 'none') {
        throw new AuthRefusedError(this.host, 'the connection is not encrypted (server offers no STARTTLS); credentials are not sent in clear');
      }
      await this.authenticate(auth.username, auth.password);
    }
  }

  private connectTcp(): Promise<void> {
    const local = this.options.localAddress ?? null;
    const family = local === null ? 0 : isIP(local);
    if (local !== null) {
      if (family === 0) return Promise.reject(new LocalAddressError(local, 'not an IP address'));
      const hostFamily = isIP(this.host);
      if (hostFamily !== 0 && hostFamily !== family) {
        return Promise.reject(new LocalAddressError(local, `it is IPv${family} and ${this.host} is IPv${hostFamily}`));
      }
    }
    return new Promise<void>((resolve, reject) => {
      const socket = netConnect({ host: this.host, port: this.port, ...(local === null ? {} : { localAddress: local, family }) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SmtpTimeoutError('TCP connect', this.timeouts.connectMs));
      }, this.timeouts.connectMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        if (local !== null && err.syscall === 'bind') {
          // EADDRNOTAVAIL: no interface of this machine has the address; EADDRINUSE: its ports are exhausted.
          const why = err.code === 'EADDRNOTAVAIL' ? 'EADDRNOTAVAIL (no interface of this host has it)' : (err.code ?? err.message);
          return reject(new LocalAddressError(local, `bind failed: ${why}`));
        }
        reject(err.code === 'ECONNREFUSED' ? new ConnectionRefusedError(this.host, this.port) : new ConnectionFailedError(this.host, this.port, err));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        this.socket = socket;
        this.attach(socket);
        socket.once('close', () => this.markClosed());
        resolve();
      });
    });
  }

  /** EHLO; on a 5xx (server without ESMTP) HELO instead (RFC 5321 §3.2). */
  private async hello(): Promise<void> {
    const name = this.options.clientName ?? osHostname();
    this.extensions.clear();
    this.write(`EHLO ${name}\r\n`);
    const r = await this.next('EHLO reply', this.timeouts.commandMs);
    if (isPositive(r)) {
      for (const line of r.lines.slice(1)) {
        const sp = line.indexOf(' ');
        const keyword = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
        this.extensions.set(keyword, sp < 0 ? '' : line.slice(sp + 1).trim());
      }
      return;
    }
    if (r.code < 500) throw new SmtpReplyError('EHLO', r);
    this.write(`HELO ${name}\r\n`);
    const h = await this.next('HELO reply', this.timeouts.commandMs);
    if (!isPositive(h)) throw new SmtpReplyError('HELO', h);
  }

  private startTls(): Promise<void> {
    const plain = this.socket;
    // Bytes after the 220 that were not a reply (a broken server or middlebox) made the reader close the socket:
    // a handshake on it would neither fail nor finish, only time out.
    if (this.failure !== null || plain.destroyed) {
      return Promise.reject(new TlsHandshakeError(this.host, new Error(`the connection broke after the 220 to STARTTLS: ${this.failure?.message ?? 'closed'}`)));
    }
    this.detach(plain);
    // Errors of the TCP socket reach us through the TLS socket from now on.
    plain.on('error', () => undefined);
    // Bytes that arrived after the 220 were sent before TLS: never trust them (RFC 3207 §5, CVE-2011-0411).
    this.reader = this.newReader();
    this.replies.length = 0;
    const verify = this.options.verifyCertificate ?? true;
    const servername = this.options.servername ?? (isIP(this.host) === 0 ? this.host : undefined);
    return new Promise<void>((resolve, reject) => {
      const secure = tlsConnect({
        socket: plain,
        host: this.host,
        ...(servername === undefined ? {} : { servername }),
        rejectUnauthorized: verify,
        ...(this.options.ca ? { ca: this.options.ca } : {}),
        minVersion: 'TLSv1.2',
      });
      const timer = setTimeout(() => {
        secure.destroy();
        reject(new SmtpTimeoutError('TLS handshake', this.timeouts.commandMs));
      }, this.timeouts.commandMs);
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        secure.destroy();
        reject(CERTIFICATE_ERRORS.has(err.code ?? '') ? new CertificateInvalidError(this.host, err) : new TlsHandshakeError(this.host, err));
      };
      secure.once('error', onError);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        secure.off('error', onError);
        this.socket = secure;
        this.secure = true;
        this.attach(secure);
        resolve();
      });
    });
  }

  /** AUTH PLAIN (RFC 4616) when offered, else AUTH LOGIN. */
  private async authenticate(username: string, password: string): Promise<void> {
    const offered = (this.extensions.get('AUTH') ?? '').toUpperCase().split(/\s+/);
    if (!this.extensions.has('AUTH')) throw new AuthRefusedError(this.host, 'the server does not offer AUTH');
    const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
    if (offered.includes('PLAIN')) {
      this.write(`AUTH PLAIN ${b64(`\u0000${username}\u0000${password}`)}\r\n`);
      const r = await this.next('AUTH reply', this.timeouts.commandMs);
      if (r.code !== 235) throw new AuthRefusedError(this.host, 'credentials refused', r);
      this.authenticatedWith = 'PLAIN';
      return;
    }
    if (offered.includes('LOGIN')) {
      this.write('AUTH LOGIN\r\n');
      for (const answer of [username, password]) {
        const r = await this.next('AUTH LOGIN challenge', this.timeouts.commandMs);
        if (r.code !== 334) throw new AuthRefusedError(this.host, 'AUTH LOGIN refused', r);
        this.write(`${b64(answer)}\r\n`);
      }
      const r = await this.next('AUTH reply', this.timeouts.commandMs);
      if (r.code !== 235) throw new AuthRefusedError(this.host, 'credentials refused', r);
      this.authenticatedWith = 'LOGIN';
      return;
    }
    throw new AuthRefusedError(this.host, `no common mechanism (server offers ${offered.join(' ') || 'none'}; we speak PLAIN and LOGIN)`);
  }

  // ---------------------------------------------------------------- transactions

  /**
   * One mail transaction. Commands go out in one write when the server offers PIPELINING (RFC 2920 §3.1:
   * RSET, MAIL, every RCPT and DATA); RSET first when the connection carried a transaction before.
   * Throws a permanent SmtpClientError (nothing sent) when the envelope or size cannot work with this server,
   * and a temporary one when the session breaks; otherwise every recipient gets its deciding reply.
   */
  async send(envelope: Envelope, body: Buffer): Promise<TransactionResult> {
    if (this.failure) throw this.failure;
    if (this.busy) throw new SmtpProtocolError('a transaction is already running on this connection');
    const from = this.checkSender(envelope.from);
    const to = envelope.to.map((address) => checkAddress(address, false));
    const mail = this.mailCommand(envelope, from, to, body);
    if (to.length === 0) throw new InvalidAddressError('', 'a transaction needs at least one recipient');

    this.busy = true;
    this.bodyWritten = false;
    const reset = this.transactions > 0;
    this.transactions++;
    try {
      const result = await this.transaction(envelope, body, mail, to, reset);
      this.busy = false;
      return result;
    } catch (err) {
      // A session broken mid-transaction cannot be trusted for another one.
      this.fail(err instanceof SmtpClientError ? err : new SmtpProtocolError((err as Error).message));
      this.destroy();
      throw err;
    }
  }

  private mailCommand(envelope: Envelope, from: CheckedAddress, to: readonly CheckedAddress[], body: Buffer): string {
    let utf8 = from.nonAscii ? envelope.from : null;
    for (let i = 0; i < to.length && utf8 === null; i++) if (to[i]!.nonAscii) utf8 = envelope.to[i]!;
    let params = '';
    const size = this.extensions.get('SIZE');
    if (size !== undefined) {
      const max = Number.parseInt(size, 10);
      // RFC 1870 §4: SIZE 0 (or no number) means no fixed maximum.
      if (max > 0 && body.length > max) throw new MessageTooLargeError(this.host, body.length, max);
      params += ` SIZE=${body.length}`;
    }
    if (this.extensions.has('8BITMIME') && !isAscii(body)) params += ' BODY=8BITMIME';
    if (utf8 !== null) {
      if (!this.extensions.has('SMTPUTF8')) throw new Smtputf8NotOfferedError(this.host, utf8);
      params += ' SMTPUTF8';
    }
    return `MAIL FROM:<${from.address}>${params}\r\n`;
  }

  /** A route sends every message from the same address: its check is kept for the next transaction. */
  private checkSender(address: string): CheckedAddress {
    const last = this.lastSender;
    if (last !== null && last.input === address) return last.checked;
    const checked = checkAddress(address, true);
    this.lastSender = { input: address, checked };
    return checked;
  }

  private async transaction(envelope: Envelope, body: Buffer, mail: string, to: readonly CheckedAddress[], reset: boolean): Promise<TransactionResult> {
    const pipelined = this.extensions.has('PIPELINING');
    const t = this.timeouts;
    // After a 421 the server closes: every reply still due is that 421 (RFC 5321 §3.8).
    let closing: ClientReply | null = null;
    const read = async (stage: string, ms: number): Promise<ClientReply> => {
      if (closing) return closing;
      const r = await this.next(stage, ms);
      if (r.code === 421) closing = r;
      return r;
    };
    const decided: (RecipientReply | null)[] = envelope.to.map(() => null);
    const decide = (i: number, reply: ClientReply, stage: TransactionStage, accepted = false): void => {
      decided[i] = { address: envelope.to[i]!, accepted, reply, stage };
    };
    const finish = (): TransactionResult => {
      if (closing) this.destroy();
      return { recipients: decided.map((d, i) => d ?? { address: envelope.to[i]!, accepted: false, reply: closing!, stage: 'RCPT' }), pipelined };
    };

    if (pipelined) {
      let commands = reset ? `RSET\r\n${mail}` : mail;
      for (const r of to) commands += `RCPT TO:<${r.address}>\r\n`;
      this.write(`${commands}DATA\r\n`);
    }
    if (reset) {
      if (!pipelined) this.write('RSET\r\n');
      const r = await read('RSET reply', t.commandMs);
      if (!isPositive(r) && r.code !== 421) throw new SmtpReplyError('RSET', r);
    }
    if (!pipelined) this.write(mail);
    const mailReply = await read('MAIL reply', t.mailMs);
    if (!isPositive(mailReply)) {
      envelope.to.forEach((_, i) => decide(i, mailReply, 'MAIL'));
      if (!pipelined) return finish();
    }
    const accepted: number[] = [];
    for (let i = 0; i < envelope.to.length; i++) {
      if (!pipelined) this.write(`RCPT TO:<${to[i]!.address}>\r\n`);
      const r = await read('RCPT reply', t.rcptMs);
      if (decided[i]) continue;
      if (isPositive(r)) accepted.push(i);
      else decide(i, r, 'RCPT');
    }
    if (!pipelined && accepted.length === 0) return finish();
    if (!pipelined) this.write('DATA\r\n');
    const dataReply = await read('DATA reply', t.dataInitMs);
    if (dataReply.code !== 354) {
      for (const i of accepted) decide(i, dataReply, 'DATA');
      return finish();
    }
    if (accepted.length === 0) {
      // RFC 2920 §3.1: DATA accepted although no recipient was: send an empty message the server will refuse.
      this.write('.\r\n');
      await read('end of data reply', t.dataEndMs);
      return finish();
    }
    this.bodyWritten = true;
    const chunks = dataChunks(body);
    if (body.length <= BLOCK_BYTES) {
      // A small body and its terminating dot in one syscall: one buffer when stuffing copied the body, else a writev.
      if (this.failure) throw this.failure;
      if (chunks.length === 1) {
        this.socket.write(chunks[0]!);
      } else {
        this.socket.cork();
        for (const chunk of chunks) this.socket.write(chunk);
        this.socket.uncork();
      }
      if (this.socket.writableNeedDrain) await this.drained();
    } else {
      for (const chunk of chunks) {
        // Blocks of BLOCK_BYTES, so the data block timeout measures progress, not the whole body (§4.5.3.2.5).
        for (let at = 0; at < chunk.length; at += BLOCK_BYTES) await this.writeBlock(chunk.subarray(at, at + BLOCK_BYTES));
      }
    }
    const final = await read('end of data reply', t.dataEndMs);
    for (const i of accepted) decide(i, final, 'end of data', isPositive(final));
    return finish();
  }

  /** Polite end: QUIT, then close whatever the server says. */
  async quit(): Promise<void> {
    if (this.failure || this.busy) return this.destroy();
    this.busy = true;
    try {
      this.write('QUIT\r\n');
      await this.next('QUIT reply', Math.min(this.timeouts.commandMs, 5_000));
    } catch {
      // Closing anyway.
    }
    this.fail(new ConnectionClosedError('QUIT'));
    this.socket.end();
    this.destroy();
  }

  /** Closes the connection now. */
  destroy(): void {
    this.fail(new ConnectionClosedError('close'));
    this.socket?.destroy();
    if (!this.socket) this.markClosed();
  }

  // ---------------------------------------------------------------- wire

  private newReader(): ReplyReader {
    return new ReplyReader((reply) => {
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        clearTimeout(w.timer);
        w.resolve(reply);
      } else this.replies.push(reply);
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.fail(err as SmtpClientError);
      this.socket.destroy();
    }
  };

  private readonly onError = (err: Error): void => {
    this.fail(new ConnectionFailedError(this.host, this.port, err));
  };

  private readonly onClose = (): void => {
    this.fail(new ConnectionClosedError(this.waiter?.stage ?? (this.drainWaiter ? 'data transfer' : 'idle')));
  };

  private readonly onDrain = (): void => {
    const d = this.drainWaiter;
    this.drainWaiter = null;
    d?.resolve();
  };

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.off('drain', this.onDrain);
  }

  /** Records the first failure and wakes whoever waits. */
  private fail(err: SmtpClientError): void {
    if (this.failure === null) this.failure = err;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
    const d = this.drainWaiter;
    this.drainWaiter = null;
    d?.reject(this.failure);
  }

  private write(s: string): void {
    this.socket.write(s);
  }

  /** Writes one block of the body; waits for the socket to drain within the data block timeout. */
  private writeBlock(chunk: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.socket.write(chunk)) return Promise.resolve();
    return this.drained();
  }

  /** Resolves when the socket has drained, within the data block timeout. */
  private drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drainWaiter = null;
        const err = new SmtpTimeoutError('data block to be sent', this.timeouts.dataBlockMs);
        this.fail(err);
        reject(err);
      }, this.timeouts.dataBlockMs);
      this.drainWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  /** The next reply, within `ms`; a timeout breaks the session (a late reply would answer the wrong command). */
  private next(stage: string, ms: number): Promise<ClientReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<ClientReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        const err = new SmtpTimeoutError(stage, ms);
        this.fail(err);
        this.socket.destroy();
        reject(err);
      }, ms);
      this.waiter = { resolve, reject, timer, stage };
    });
  }
}

/** Checks an envelope address with the server's own path parser, so nothing but a mailbox reaches a command line. */
function checkAddress(address: string, isSender: boolean): CheckedAddress {
  if (isSender && address === '') return { address: '', nonAscii: false };
  const path = `<${address}>`;
  const parsed = parsePath(path, 0, isSender, !isSender);
  if (parsed instanceof PathSyntaxError) throw new InvalidAddressError(address, parsed.reason);
  if (parsed.end !== path.length) throw new InvalidAddressError(address, 'unexpected characters after the address');
  return { address: parsed.address, nonAscii: parsed.nonAscii };
}

