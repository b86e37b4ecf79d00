// One SMTP session on one socket (go-smtp's conn.go, chasquid's handlers that return replies).
// Handlers return an SmtpReply, a Closing reply, or a promise of one; emit() is the one place that queues
// replies, counts errors and decides to hang up; flush() writes every reply of a batch in one socket write
// (RFC 2920). AUTH, BDAT chunks and the clocks live in auth-exchange.ts, bdat-receiver.ts, session-timers.ts.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Backend, ConnectionInfo, DataSink, Session, SessionState, TlsInfo } from './backend.js';
import {
  COMMANDS,
  HTTP_VERBS,
  closing,
  isClosing,
  isProtocolError,
  Needs,
  SmtpState,
  type Closing,
  type CommandHandlers,
  type CommandSpec,
  type Outcome,
} from './commands.js';
import { DATA_BARE_CR, DATA_BARE_LF, DATA_INCOMPLETE, DataReader } from './data-reader.js';
import { AUTH_LINE_LENGTH, type EngineConfig, type SmtpLogger } from './options.js';
import { parseBdatArgument, parseCommandLine, parseMailArgument, parseRcptArgument } from './parse.js';
import { AuthExchange, type AuthOwner } from './auth-exchange.js';
import { BdatReceiver } from './bdat-receiver.js';
import { SessionTimers, type TimedSession } from './session-timers.js';
import { PROXY_V2_SIGNATURE, normalizeAddress, parseProxyHeader, ProxyHeaderError, type TrustedProxies } from './proxy.js';
import { formatReply, isSmtpError, smtpReply, type SmtpReply } from './reply.js';
import { LIMIT_END_REASONS, type SmtpObserver } from './observer.js';
import { R } from './replies.js';
import type { AuthFailureCounter } from './auth-failures.js';

const LF = 0x0a;
const CR = 0x0d;
/** Bytes we buffer while a backend call is pending (socket paused) before calling it a violation. */
const MAX_BUFFERED_INPUT = 1024 * 1024;

/** How input bytes are interpreted right now. */
const enum InputMode {
  /** Waiting for the PROXY header from a trusted balancer. */
  ProxyHeader,
  /** Connected, greeting not sent yet (backend.connect pending or greeting delay running). */
  BeforeGreeting,
  Command,
  /** A continuation line of AUTH PLAIN / LOGIN (RFC 4954 §4). */
  AuthResponse,
  /** DATA body up to CRLF.CRLF. */
  Data,
  /** The bytes of one BDAT chunk (RFC 3030). */
  BdatChunk,
  /** STARTTLS accepted; the TLS layer owns the socket until 'secure'. */
  TlsHandshake,
  /** We hung up (or the socket is gone): input is discarded. */
  Closed,
}

/** What the engine needs from its server (limits, certificate, shared counters). */
export interface ConnectionHost {
  readonly config: EngineConfig;
  readonly backend: Backend;
  readonly logger: SmtpLogger;
  /** A logger was given: the session line is built (with no logger there is no one to build it for). */
  readonly logsSessions: boolean;
  /** maxConnectionsPerAddress can be reached (it is below maxConnections): admitAddress/releaseAddress count. */
  readonly limitsPerAddress: boolean;
  readonly observer: SmtpObserver;
  readonly secureContext: SecureContext | null;
  readonly trustedProxies: TrustedProxies | null;
  readonly authFailures: AuthFailureCounter;
  /** Counts a connection against maxConnectionsPerAddress; false when over the limit. */
  admitAddress(address: string): boolean;
  releaseAddress(address: string): void;
  connectionClosed(connection: SmtpConnection): void;
  nextSessionId(): string;
}

/** The address and port a listener bound to one address accepts on (normalized as ConnectionInfo has them). */
export interface LocalEnd {
  readonly address: string;
  readonly port: number;
}

interface MutableState {
  connection: ConnectionInfo;
  heloName: string | null;
  tls: TlsInfo | null;
  authUser: string | null;
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

const QUIT = closing(R.bye, 'quit');
const AUTH = COMMANDS.get('AUTH')!;
const PIPELINED_AFTER_STARTTLS = closing(R.pipelinedAfterStartTls, 'pipelined-after-starttls');

export class SmtpConnection implements CommandHandlers, TimedSession, AuthOwner {
  readonly id: string;
  private socket: Socket;
  private readonly config: EngineConfig;
  private readonly state: MutableState;
  private session: Session | null = null;
  private mode: InputMode;
  private smtpState = SmtpState.Greeted;

  // Input: unconsumed bytes are input[pos..].
  private input: Buffer | null = null;
  private pos = 0;
  private skippingLongLine = false;
  private firstCommandSeen = false;

  // Output and flow control.
  private out = '';
  private busy = false;
  /** process() is on the stack: nested calls (a synchronous greeting after PROXY) leave the work to it. */
  private processing = false;
  private outputBlocked = false;
  private closing = false;
  private upgradePending = false;
  private shutdownRequested = false;
  private finished = false;
  /** Session.close() was called (exactly once, whatever ended the connection). */
  private sessionClosed = false;

  // Transaction.
  private recipients = 0;
  private smtputf8 = false;
  private sink: DataSink | null = null;
  private sinkFailure: SmtpReply | null = null;
  private usingBdat = false;
  private bodyBytes = 0;
  private readonly reader: DataReader;
  /** Made by the first BDAT: most sessions never need it. */
  private bdatReceiver: BdatReceiver | null = null;
  /** Made by the first AUTH; it keeps the session's failure count. */
  private authExchange: AuthExchange | null = null;

  // Accounting for the session log line.
  private badCommands = 0;
  private messagesAccepted = 0;
  private bytesAccepted = 0;
  private readonly startedAt = Date.now();
  private endReason: string | null = null;
  private admittedAddress: string | null = null;

  private readonly timers: SessionTimers;
  /** The 'drain' listener, made and attached the first time a write is held back. */
  private drainListener: (() => void) | null = null;

  constructor(
    private readonly host: ConnectionHost,
    socket: Socket,
    /** Known from the listener when it is bound to one address; null: ask the socket (getsockname). */
    localEnd: LocalEnd | null = null,
  ) {
    this.id = host.nextSessionId();
    this.config = host.config;
    host.observer.sessionOpened();
    this.socket = socket;
    this.reader = new DataReader(this.onBody, this.config.lineEndings);
    // Read at once: a backend may look at these after the socket is gone (e.g. in Session.close()).
    const connection: ConnectionInfo = {
      id: this.id,
      remoteAddress: normalizeAddress(socket.remoteAddress ?? ''),
      remotePort: socket.remotePort ?? 0,
      localAddress: localEnd !== null ? localEnd.address : normalizeAddress(socket.localAddress ?? ''),
      localPort: localEnd !== null ? localEnd.port : (socket.localPort ?? 0),
      proxied: false,
    };
    this.state = {
      connection,
      heloName: null,
      tls: null,
      authUser: null,
    };
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    this.timers = new SessionTimers(this.config, this);
    const trusted = host.trustedProxies;
    if (trusted !== null && trusted.has(connection.remoteAddress)) {
      this.mode = InputMode.ProxyHeader;
    } else {
      this.mode = InputMode.BeforeGreeting;
      this.begin();
    }
  }

  /** The client's address as logged and limited (after PROXY). */
  get remoteAddress(): string {
    return this.state.connection.remoteAddress;
  }

  // ---- connection start -------------------------------------------------------------------------------

  /** Per-address limit, backend.connect, then the greeting (or a refusal). */
  private begin(): void {
    if (this.host.limitsPerAddress) {
      const address = this.state.connection.remoteAddress;
      if (!this.host.admitAddress(address)) {
        this.refuse(R.tooManyConnectionsFromAddress, 'too-many-connections');
        return;
      }
      this.admittedAddress = address;
    }
    let result: Promise<Session> | Session;
    try {
      result = this.host.backend.connect(this.state.connection);
    } catch (err) {
      this.connectFailed(err);
      return;
    }
    if (isThenable<Session>(result)) {
      this.busy = true;
      this.updateFlow();
      result.then(
        (session) => {
          this.busy = false;
          this.connected(session);
        },
        (err: unknown) => {
          this.busy = false;
          this.connectFailed(err);
        },
      );
    } else {
      this.connected(result);
    }
  }

  private connected(session: Session): void {
    this.session = session;
    if (this.finished) {
      // The client left while connect() was pending: the session still gets its one close().
      this.closeSession();
      return;
    }
    if (this.config.greetingDelayMs > 0) {
      const timer = setTimeout(() => this.greet(), this.config.greetingDelayMs);
      timer.unref();
      return;
    }
    this.greet();
  }

  private greet(): void {
    if (this.mode !== InputMode.BeforeGreeting || this.closing) return;
    this.mode = InputMode.Command;
    this.out += `220 ${this.config.hostname} ESMTP ready\r\n`;
    this.updateFlow();
    this.process();
  }

  private connectFailed(err: unknown): void {
    const reply = isSmtpError(err) ? err.reply : R.connectError;
    if (!isSmtpError(err)) this.host.logger.error({ session: this.id, err }, 'smtp backend connect failed');
    this.refuse(reply, 'refused');
  }

  private refuse(reply: SmtpReply, reason: string): void {
    if (this.finished) return;
    this.hangUpWith(reply, reason);
    this.flush();
  }

  // ---- input ------------------------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    this.timers.touch();
    if (this.mode === InputMode.Closed) return;
    const input = this.input;
    if (input !== null && this.pos < input.length) {
      if (input.length - this.pos + chunk.length > MAX_BUFFERED_INPUT) {
        this.violation(R.inputOverflow, 'input-overflow');
        return;
      }
      this.input = Buffer.concat([input.subarray(this.pos), chunk]);
    } else {
      this.input = chunk;
    }
    this.pos = 0;
    if (this.mode === InputMode.BeforeGreeting && this.config.greetingDelayMs > 0) {
      this.violation(R.earlyTalker, 'early-talker');
      return;
    }
    if (!this.busy) this.process();
  };

  /** Interprets buffered input until it runs out, a backend call is pending, or we hang up; then flushes. */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    while (!this.busy && !this.closing && !this.upgradePending) {
      const buf = this.input;
      if (buf === null || this.pos >= buf.length) break;
      const mode = this.mode;
      if (mode === InputMode.Command || mode === InputMode.AuthResponse) {
        if (!this.processLine(buf)) break;
      } else if (mode === InputMode.Data) {
        this.processData(buf);
      } else if (mode === InputMode.BdatChunk) {
        this.processBdat(buf);
      } else if (mode === InputMode.ProxyHeader) {
        if (!this.processProxyHeader(buf)) break;
      } else {
        break;
      }
    }
    if (this.input !== null && this.pos >= this.input.length) {
      this.input = null;
      this.pos = 0;
    }
    this.processing = false;
    if (!this.busy) this.flush();
  }

  /** One command or AUTH line; false when the line is not complete yet. */
  private processLine(buf: Buffer): boolean {
    const start = this.pos;
    if (!this.firstCommandSeen && this.mode === InputMode.Command && this.checkForeignProtocol(buf, start)) return false;
    const lf = buf.indexOf(LF, start);
    if (lf < 0) {
      if (this.skippingLongLine) {
        this.pos = buf.length;
      } else if (buf.length - start > this.lineLimit(buf, start)) {
        this.skippingLongLine = true;
        this.pos = buf.length;
        this.lineTooLong();
      }
      return false;
    }
    this.pos = lf + 1;
    if (this.skippingLongLine) {
      this.skippingLongLine = false;
      return true;
    }
    if (lf + 1 - start > this.lineLimit(buf, start)) {
      this.lineTooLong();
      return true;
    }
    // Commands may end in a bare LF (lenient, like Postfix); only DATA is strict about CRLF.
    const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    if (this.mode === InputMode.AuthResponse) this.authResponse(buf.toString('latin1', start, end));
    else this.command(buf, start, end);
    return true;
  }

  /** 500 5.5.2; an AUTH exchange in progress is abandoned with it. */
  private lineTooLong(): void {
    if (this.mode === InputMode.AuthResponse) {
      this.mode = InputMode.Command;
      this.authExchange!.cancel();
    }
    this.emit(R.lineTooLong, null);
  }

  private lineLimit(buf: Buffer, start: number): number {
    const limit = this.config.maxLineLength;
    if (limit >= AUTH_LINE_LENGTH) return limit;
    if (this.mode === InputMode.AuthResponse) return AUTH_LINE_LENGTH;
    // "AUTH " (any case): RFC 4954 §4 allows long initial responses.
    if (buf.length - start >= 5 && (buf[start]! | 0x20) === 0x61 && (buf[start + 1]! | 0x20) === 0x75 &&
        (buf[start + 2]! | 0x20) === 0x74 && (buf[start + 3]! | 0x20) === 0x68 && buf[start + 4] === 0x20) {
      return AUTH_LINE_LENGTH;
    }
    return limit;
  }

  /** A TLS ClientHello or a PROXY v2 header as the first bytes of a plain session: answer clearly and close. */
  private checkForeignProtocol(buf: Buffer, start: number): boolean {
    if (buf.length - start >= 2 && buf[start] === 0x16 && buf[start + 1] === 0x03) {
      this.violation(R.tlsOnPlain, 'tls-on-plain-port');
      return true;
    }
    if (buf.length - start >= 5 && buf[start] === PROXY_V2_SIGNATURE[0] && buf.compare(PROXY_V2_SIGNATURE, 0, 5, start, start + 5) === 0) {
      this.violation(R.proxyRefused, 'proxy-header-refused');
      return true;
    }
    return false;
  }

  private command(buf: Buffer, start: number, end: number): void {
    const parsed = parseCommandLine(buf, start, end);
    if (isSmtpError(parsed)) {
      this.emit(parsed.reply, null);
      return;
    }
    const verb = parsed.verb;
    if (!this.firstCommandSeen) {
      this.firstCommandSeen = true;
      if (HTTP_VERBS.has(verb)) {
        this.violation(R.httpOnSmtp, 'http-request');
        return;
      }
    }
    const spec = COMMANDS.get(verb);
    if (spec === undefined) {
      if (verb === 'PROXY') this.violation(R.proxyRefused, 'proxy-header-refused');
      else this.emit(R.unknownCommand, null);
      return;
    }
    const refusal = this.check(spec, parsed.argument);
    if (refusal !== null) {
      this.emit(refusal, spec);
      return;
    }
    let outcome: Outcome;
    try {
      outcome = spec.run(this, parsed.argument);
    } catch (err) {
      outcome = this.replyForError(err);
    }
    this.settle(outcome, spec);
  }

  /** OpenSMTPD's check_<cmd>: may this command run now? The table says what it needs; null: yes. */
  private check(spec: CommandSpec, argument: string): SmtpReply | null {
    if (this.config.requireTls && this.state.tls === null && !spec.allowedBeforeTls) return R.tlsRequired;
    if (spec.noArgument !== null && argument.length > 0) return spec.noArgument;
    const needs = spec.needs;
    if (needs === Needs.Nothing) return null;
    const state = this.smtpState;
    if (state === SmtpState.Greeted) return R.needHelo;
    if (needs === Needs.NoTransaction) return state === SmtpState.Ready ? null : R.nestedMail;
    if (needs === Needs.Mail) return state >= SmtpState.Mail ? null : R.needMail;
    if (needs === Needs.Rcpt) return state === SmtpState.Rcpt ? null : R.needRcpt;
    return null;
  }

  /** Emits a reply now, or waits (socket paused, replies kept in order) for a backend that answered with a promise. */
  private settle(outcome: Outcome, spec: CommandSpec | null): void {
    if (!isThenable<SmtpReply | Closing | null>(outcome)) {
      if (outcome !== null) this.emit(outcome, spec);
      return;
    }
    this.busy = true;
    this.updateFlow();
    outcome.then(
      (reply) => this.resumeWith(reply, spec),
      (err: unknown) => this.resumeWith(this.replyForError(err), spec),
    );
  }

  private resumeWith(reply: SmtpReply | Closing | null, spec: CommandSpec | null): void {
    this.busy = false;
    if (this.mode === InputMode.Closed) return;
    if (reply !== null) this.emit(reply, spec);
    this.updateFlow();
    this.process();
  }

  /**
   * The one place a handler's reply is queued: error counting, hang-up rules and shutdown happen here.
   * A closing outcome ends the session: its reply (counted, when a last word follows it) and the last word.
   */
  private emit(outcome: SmtpReply | Closing, spec: CommandSpec | null): void {
    if (this.closing) return;
    let reply: SmtpReply;
    let last: Closing | null = null;
    if (isClosing(outcome)) {
      if (outcome.then === null) {
        this.hangUpWith(outcome.reply, outcome.reason);
        return;
      }
      reply = outcome.reply;
      last = outcome;
    } else {
      reply = outcome;
    }
    this.out += this.format(reply);
    if ((spec === null || spec.countsAsBad) && isProtocolError(reply.code)) {
      this.badCommands++;
      if (this.badCommands >= this.config.maxBadCommands) {
        this.hangUpWith(R.tooManyErrors, 'too-many-errors');
        return;
      }
    }
    if (last !== null) {
      this.hangUpWith(last.then!, last.reason);
      return;
    }
    if (this.shutdownRequested && !this.inMessage()) {
      this.hangUpWith(R.shutdown, 'shutdown');
      return;
    }
    if (spec !== null && spec.endsBatch) this.flush();
  }

  /** Queues the session's last reply and stops interpreting input; the socket ends after the next flush. */
  private hangUpWith(reply: SmtpReply, reason: string): void {
    this.endReason = reason;
    this.out += this.format(reply);
    this.hangUp();
  }

  /** The reply for a backend error: an SmtpError's own, anything else 451 4.3.0 (logged). */
  replyForError(err: unknown): SmtpReply {
    if (isSmtpError(err) && Number.isInteger(err.code) && err.code >= 200 && err.code <= 599) return err.reply;
    this.host.logger.error({ session: this.id, err }, 'smtp backend error');
    return R.localError;
  }

  // ---- output -----------------------------------------------------------------------------------------

  private flush(): void {
    if (this.out.length > 0) {
      const data = this.out;
      this.out = '';
      if (!this.socket.destroyed && this.socket.writable) {
        this.timers.touch();
        if (!this.socket.write(data)) {
          this.outputBlocked = true;
          if (this.drainListener === null) {
            this.drainListener = () => this.onDrain();
            this.socket.on('drain', this.drainListener);
          }
          this.updateFlow();
        }
      }
    }
    if (this.closing) this.endSocket();
    else if (this.upgradePending) this.upgradeToTls();
  }

  private onDrain(): void {
    this.outputBlocked = false;
    this.updateFlow();
  }

  /** Reads only when nothing is pending: a paused socket bounds what a pipelining client can make us buffer. */
  private updateFlow(): void {
    if (this.mode === InputMode.Closed) {
      this.socket.resume();
      return;
    }
    if (this.busy || this.outputBlocked) this.socket.pause();
    else this.socket.resume();
  }

  /** Stop interpreting input; the socket ends after the next flush. */
  private hangUp(): void {
    this.closing = true;
    if (this.sink !== null) this.abortSink('session ended');
  }

  /** The client broke the protocol (input, not a command): the reply goes out at once and we hang up. */
  private violation(reply: SmtpReply, reason: string): void {
    this.hangUpWith(reply, reason);
    this.flush();
  }

  private endSocket(): void {
    if (this.mode === InputMode.Closed) return;
    this.mode = InputMode.Closed;
    this.input = null;
    this.socket.end();
    this.socket.resume();
    this.timers.hangUp();
  }

  // ---- timeouts (SessionTimers calls these) -----------------------------------------------------------

  pendingWrite(): number {
    return this.socket.writableLength;
  }

  expired(deadline: boolean): void {
    if (this.finished) return;
    if (deadline) this.expire(R.deadline, 'deadline');
    else this.expire(R.timeout, 'timeout');
  }

  lingerOver(): void {
    if (this.finished) return;
    this.socket.destroy();
  }

  // ---- socket events ----------------------------------------------------------------------------------

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    // ECONNRESET, EPIPE and handshake failures are the client's business: debug only.
    this.host.logger.debug?.({ session: this.id, code: err.code, err: err.message }, 'smtp socket error');
    if (this.endReason === null) this.endReason = 'socket-error';
  };

  private expire(reply: SmtpReply, reason: string): void {
    if (this.finished || this.mode === InputMode.Closed) return;
    this.endReason = reason;
    if (this.mode === InputMode.TlsHandshake) {
      this.socket.destroy();
      return;
    }
    this.closing = false; // an expiry overrides whatever was pending
    this.hangUpWith(reply, reason);
    this.flush();
  }

  /** Every reply goes out through here, so the observer sees each code once. */
  private format(reply: SmtpReply): string {
    this.host.observer.reply(reply.code);
    return formatReply(reply);
  }

  private readonly onClose = (): void => {
    if (this.finished) return;
    this.finished = true;
    if (this.mode === InputMode.TlsHandshake) this.host.observer.tlsHandshake('failed');
    this.mode = InputMode.Closed;
    this.timers.stop();
    if (this.sink !== null) this.abortSink('connection lost');
    if (this.session !== null) this.closeSession();
    if (this.admittedAddress !== null) this.host.releaseAddress(this.admittedAddress);
    const end = this.endReason ?? 'client-closed';
    // The one log line per session; with no logger there is no one to build it for.
    if (this.host.logsSessions) this.logSession(end);
    if (LIMIT_END_REASONS.has(end)) this.host.observer.limitHit(end);
    this.host.observer.sessionClosed(end);
    this.host.connectionClosed(this);
  };

  private logSession(end: string): void {
    const tls = this.state.tls;
    this.host.logger.info(
      {
        session: this.id,
        remoteAddress: this.state.connection.remoteAddress,
        remotePort: this.state.connection.remotePort,
        proxied: this.state.connection.proxied,
        tlsProtocol: tls?.protocol ?? null,
        tlsCipher: tls?.cipher ?? null,
        authUser: this.state.authUser,
        messages: this.messagesAccepted,
        bytes: this.bytesAccepted,
        durationMs: Date.now() - this.startedAt,
        end,
      },
      'smtp session',
    );
  }


  private closeSession(): void {
    if (this.sessionClosed || this.session === null) return;
    this.sessionClosed = true;
    try {
      this.session.close();
    } catch (err) {
      this.host.logger.error({ session: this.id, err }, 'smtp backend close failed');
    }
  }

  // ---- shutdown (SPEC §2) -----------------------------------------------------------------------------

  /** Sessions inside a message may finish it; the others get 421 4.3.2 now. */
  requestShutdown(): void {
    if (this.finished || this.mode === InputMode.Closed) return;
    this.shutdownRequested = true;
    if (this.mode === InputMode.ProxyHeader || this.mode === InputMode.TlsHandshake ||
        (this.mode === InputMode.BeforeGreeting && this.session === null)) {
      this.endReason = 'shutdown';
      this.socket.destroy();
      return;
    }
    if (!this.busy && !this.inMessage() && !this.closing) {
      this.hangUpWith(R.shutdown, 'shutdown');
      this.flush();
    }
  }

  /** Grace period over: whatever is left is cut. */
  forceClose(): void {
    if (this.finished) return;
    this.endReason = this.endReason ?? 'shutdown';
    if (this.sink !== null) this.abortSink('server shutting down');
    if (this.mode !== InputMode.Closed && this.mode !== InputMode.TlsHandshake && this.socket.writable) {
      this.socket.write(this.out + this.format(R.shutdown));
      this.out = '';
    }
    this.socket.destroy();
  }

  private inMessage(): boolean {
    return this.sink !== null || this.mode === InputMode.Data || this.mode === InputMode.BdatChunk;
  }

  // ---- PROXY protocol ---------------------------------------------------------------------------------

  private processProxyHeader(buf: Buffer): boolean {
    const header = parseProxyHeader(buf.subarray(this.pos));
    if (header === null) return false;
    if (header instanceof ProxyHeaderError) {
      this.host.logger.warn({ session: this.id, remoteAddress: this.state.connection.remoteAddress, reason: header.reason }, 'smtp bad PROXY header');
      this.endReason = 'bad-proxy-header';
      this.socket.destroy();
      return false;
    }
    this.pos += header.length;
    if (header.sourceAddress !== null) {
      this.state.connection = { ...this.state.connection, remoteAddress: normalizeAddress(header.sourceAddress), remotePort: header.sourcePort, proxied: true };
    }
    this.mode = InputMode.BeforeGreeting;
    this.begin();
    return !this.busy;
  }

  // ---- DATA -------------------------------------------------------------------------------------------

  /** Receives de-stuffed body pieces from the DataReader (and BDAT chunks): size limit, then the sink. */
  private readonly onBody = (chunk: Buffer): void => {
    const sink = this.sink;
    if (this.sinkFailure !== null || sink === null) return;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.config.maxMessageSize) {
      this.sinkFailure = R.sizeExceeded;
      this.abortSink('message size exceeds maximum');
      return;
    }
    try {
      sink.write(chunk);
    } catch (err) {
      this.sinkFailure = this.replyForError(err);
      this.abortSink('sink refused data');
    }
  };

  private abortSink(reason: string): void {
    const sink = this.sink;
    if (sink === null) return;
    this.sink = null;
    try {
      sink.abort(reason);
    } catch (err) {
      this.host.logger.error({ session: this.id, err }, 'smtp data sink abort failed');
    }
  }

  private processData(buf: Buffer): void {
    const start = this.pos;
    const result = this.reader.feed(buf, start);
    if (result === DATA_BARE_CR || result === DATA_BARE_LF) {
      this.pos = buf.length;
      this.violation(this.bareLineEndingReply(), 'bare-line-ending');
      return;
    }
    if (result === DATA_INCOMPLETE) {
      this.pos = buf.length;
      this.timers.messageBytes(buf.length - start);
      this.checkDataRate();
      return;
    }
    this.timers.messageBytes(result - start);
    this.pos = result;
    this.mode = InputMode.Command;
    this.settle(this.endMessage(), null);
  }

  /** In normalize mode only a bare CR is refused; strict mode refuses a bare CR or LF (SPEC §2). */
  private bareLineEndingReply(): SmtpReply {
    return this.config.lineEndings === 'normalize' ? R.bareCr : R.bareLineEnding;
  }

  private checkDataRate(): void {
    if (this.timers.dataTooSlow()) this.expire(R.slowData, 'data-rate');
  }

  /** The body is complete (CRLF.CRLF or BDAT LAST): the sink's verdict, or the failure seen while streaming. */
  private endMessage(): Outcome {
    const failure = this.sinkFailure;
    const sink = this.sink;
    if (failure !== null || sink === null) {
      const reply = failure ?? R.localError;
      this.finishTransaction(reply);
      return reply;
    }
    let result: ReturnType<DataSink['end']>;
    try {
      result = sink.end();
    } catch (err) {
      return this.messageEnded(this.replyForError(err));
    }
    if (isThenable<SmtpReply | void>(result)) {
      return Promise.resolve(result).then(
        (r) => this.messageEnded(r ?? R.ok),
        (err: unknown) => this.messageEnded(this.replyForError(err)),
      );
    }
    return this.messageEnded(result ?? R.ok);
  }

  private messageEnded(reply: SmtpReply): SmtpReply {
    this.sink = null;
    this.finishTransaction(reply);
    return reply;
  }

  private finishTransaction(reply: SmtpReply): void {
    if (reply.code >= 200 && reply.code < 300) {
      this.messagesAccepted++;
      this.bytesAccepted += this.bodyBytes;
    }
    this.clearTransaction();
    this.resetSession();
  }

  private clearTransaction(): void {
    if (this.sink !== null) this.abortSink('transaction reset');
    if (this.smtpState > SmtpState.Ready) this.smtpState = SmtpState.Ready;
    this.recipients = 0;
    this.smtputf8 = false;
    this.usingBdat = false;
    this.sinkFailure = null;
    this.bodyBytes = 0;
  }

  private resetSession(): void {
    if (this.session === null) return;
    try {
      this.session.reset();
    } catch (err) {
      this.host.logger.error({ session: this.id, err }, 'smtp backend reset failed');
    }
  }

  private startMessage(sink: DataSink): void {
    this.sink = sink;
    this.sinkFailure = null;
    this.bodyBytes = 0;
    this.timers.messageStarted();
  }

  // ---- BDAT (RFC 3030) --------------------------------------------------------------------------------

  private processBdat(buf: Buffer): void {
    const bdat = this.bdatReceiver!;
    const start = this.pos;
    const take = Math.min(bdat.remaining, buf.length - start);
    const end = start + take;
    if (!bdat.discarding && this.sink !== null) {
      if (!bdat.checkLines(buf, start, end)) {
        this.pos = buf.length;
        this.violation(this.bareLineEndingReply(), 'bare-line-ending');
        return;
      }
      this.onBody(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    }
    this.pos = end;
    bdat.remaining -= take;
    this.timers.messageBytes(take);
    if (bdat.remaining > 0) {
      this.checkDataRate();
      return;
    }
    this.mode = InputMode.Command;
    this.settle(this.bdatChunkDone(bdat), null);
  }

  private bdatChunkDone(bdat: BdatReceiver): Outcome {
    const refusal = bdat.takeRefusal();
    if (refusal !== null) return refusal;
    if (this.sinkFailure !== null || this.sink === null) {
      // Size exceeded or the sink refused: the message is over; later chunks get 503.
      const reply = this.sinkFailure ?? R.localError;
      this.finishTransaction(reply);
      return reply;
    }
    if (!bdat.lastChunk) return bdat.chunkReceived();
    if (!bdat.endsCleanly()) return closing(this.bareLineEndingReply(), 'bare-line-ending');
    return this.endMessage();
  }

  // ---- TLS --------------------------------------------------------------------------------------------

  private upgradeToTls(): void {
    this.upgradePending = false;
    const context = this.host.secureContext;
    if (context === null) return;
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    if (this.drainListener !== null) {
      raw.removeListener('drain', this.drainListener);
      this.drainListener = null;
    }
    // The command timeout starts afresh for the handshake (as a new socket timeout did).
    this.timers.touch();
    // CVE-2011-0411: nothing received before the handshake may be read as a command after it.
    this.input = null;
    this.pos = 0;
    this.mode = InputMode.TlsHandshake;
    let secure: TLSSocket;
    try {
      secure = new TLSSocket(raw, { isServer: true, secureContext: context, requestCert: false, rejectUnauthorized: false });
    } catch (err) {
      this.host.logger.error({ session: this.id, err }, 'smtp STARTTLS upgrade failed');
      this.endReason = 'tls-error';
      raw.destroy();
      return;
    }
    this.socket = secure;
    secure.on('secure', () => this.onSecure());
    secure.on('data', this.onData);
    secure.on('error', this.onError);
    secure.on('close', this.onClose);
  }

  private onSecure(): void {
    const secure = this.socket as TLSSocket;
    this.state.tls = { protocol: secure.getProtocol() ?? 'unknown', cipher: secure.getCipher()?.name ?? 'unknown' };
    this.host.observer.tlsHandshake(this.state.tls.protocol);
    // RFC 3207 §4.2: forget everything learned before TLS; the client must EHLO again.
    this.state.heloName = null;
    this.state.authUser = null;
    this.clearTransaction();
    this.smtpState = SmtpState.Greeted;
    this.resetSession();
    this.mode = InputMode.Command;
    this.process();
  }

  // ---- command handlers (called through the table in commands.ts) --------------------------------------

  ehlo(argument: string, extended: boolean): Outcome {
    const name = argument.trim().split(' ')[0] ?? '';
    if (name.length === 0) return smtpReply(501, '5.5.4', extended ? 'Syntax: EHLO hostname' : 'Syntax: HELO hostname');
    // RFC 5321 §4.1.4: EHLO in a transaction resets it.
    if (this.smtpState > SmtpState.Ready) this.clearTransaction();
    this.resetSession();
    this.state.heloName = name;
    this.smtpState = SmtpState.Ready;
    const greeting = `${this.config.hostname} greets ${name}`;
    if (!extended) return smtpReply(250, '', greeting);
    const lines = [greeting, 'PIPELINING', `SIZE ${this.config.maxMessageSize}`, '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING'];
    if (this.state.tls === null && this.host.secureContext !== null) lines.push('STARTTLS');
    if (this.authAdvertised()) lines.push(`AUTH ${this.config.authMechanisms.join(' ')}`);
    return smtpReply(250, '', lines);
  }

  private authAdvertised(): boolean {
    return (
      this.session !== null && typeof this.session.auth === 'function' && this.config.authMechanisms.length > 0 &&
      (this.state.tls !== null || this.config.authBeforeTls)
    );
  }

  startTls(argument: string): Outcome {
    if (this.host.secureContext === null) return R.notImplemented;
    if (this.state.tls !== null) return R.tlsActive;
    if (argument.length > 0) return smtpReply(501, '5.5.4', 'Syntax: STARTTLS');
    // SPEC §2 / RFC 3207 §4: STARTTLS must end a pipelined batch.
    if (this.input !== null && this.pos < this.input.length) return PIPELINED_AFTER_STARTTLS;
    this.upgradePending = true;
    return R.tlsGo;
  }

  auth(argument: string): Outcome {
    if (this.state.authUser !== null) return R.alreadyAuthed;
    if (this.smtpState !== SmtpState.Ready) return R.authInTransaction;
    const session = this.session!;
    if (typeof session.auth !== 'function' || this.config.authMechanisms.length === 0) return R.notImplemented;
    if (this.state.tls === null && !this.config.authBeforeTls) return R.authBeforeTls;
    const exchange = (this.authExchange ??= new AuthExchange(this.config, this.host.authFailures, this));
    const outcome = exchange.begin(argument, session, this.state);
    if (exchange.awaitingResponse) this.mode = InputMode.AuthResponse;
    return outcome;
  }

  /** A continuation line of the AUTH exchange, answered as AUTH is. */
  private authResponse(line: string): void {
    this.mode = InputMode.Command;
    const exchange = this.authExchange!;
    const outcome = exchange.respond(line, this.session!, this.state);
    if (exchange.awaitingResponse) this.mode = InputMode.AuthResponse;
    this.settle(outcome, AUTH);
  }

  /** The session ends for `reason` once the reply now being prepared has left. */
  ending(reason: string): void {
    this.endReason = reason;
  }

  mail(argument: string): Outcome {
    const parsed = parseMailArgument(argument, this.config.maxMessageSize);
    if (isSmtpError(parsed)) return parsed.reply;
    const result = this.session!.mail(parsed.from, parsed.params, this.state);
    const smtputf8 = parsed.params.smtputf8;
    if (isThenable<void>(result)) return Promise.resolve(result).then(() => this.mailAccepted(smtputf8));
    return this.mailAccepted(smtputf8);
  }

  private mailAccepted(smtputf8: boolean): SmtpReply {
    this.smtpState = SmtpState.Mail;
    this.smtputf8 = smtputf8;
    this.recipients = 0;
    this.usingBdat = false;
    return R.mailOk;
  }

  rcpt(argument: string): Outcome {
    if (this.usingBdat) return R.mixedBdat;
    if (this.recipients >= this.config.maxRecipients) return R.tooManyRecipients;
    const to = parseRcptArgument(argument, this.smtputf8);
    if (typeof to !== 'string') return to.reply;
    const result = this.session!.rcpt(to, this.state);
    if (isThenable<void>(result)) return Promise.resolve(result).then(() => this.rcptAccepted());
    return this.rcptAccepted();
  }

  private rcptAccepted(): SmtpReply {
    this.recipients++;
    this.smtpState = SmtpState.Rcpt;
    return R.rcptOk;
  }

  data(): Outcome {
    if (this.usingBdat) return R.mixedBdat;
    const result = this.session!.data(this.state);
    if (isThenable<DataSink>(result)) return Promise.resolve(result).then((sink) => this.dataAccepted(sink));
    return this.dataAccepted(result);
  }

  private dataAccepted(sink: DataSink): SmtpReply {
    this.startMessage(sink);
    this.reader.reset();
    this.mode = InputMode.Data;
    return R.dataGo;
  }

  bdat(argument: string): Outcome {
    const parsed = parseBdatArgument(argument);
    if (isSmtpError(parsed)) return parsed.reply;
    (this.bdatReceiver ??= new BdatReceiver(this.config.lineEndings)).expect(parsed.size, parsed.last);
    // RFC 3030 §2: the chunk's bytes follow whatever we answer, so a refused BDAT still consumes them.
    let refusal: SmtpReply | null = null;
    if (this.smtpState !== SmtpState.Rcpt) refusal = this.smtpState === SmtpState.Greeted ? R.needHelo : R.needBdatTransaction;
    else if (this.sink === null && this.usingBdat) refusal = R.needBdatTransaction;
    if (refusal !== null) return this.bdatReceive(refusal);
    if (this.usingBdat) return this.bdatReceive(null);
    let result: Promise<DataSink> | DataSink;
    try {
      result = this.session!.data(this.state);
    } catch (err) {
      return this.bdatReceive(this.replyForError(err));
    }
    if (isThenable<DataSink>(result)) {
      return Promise.resolve(result).then(
        (sink) => this.bdatStarted(sink),
        (err: unknown) => this.bdatReceive(this.replyForError(err)),
      );
    }
    return this.bdatStarted(result);
  }

  private bdatStarted(sink: DataSink): Outcome {
    this.usingBdat = true;
    this.startMessage(sink);
    this.bdatReceiver!.startMessage();
    return this.bdatReceive(null);
  }

  /** Enter chunk reading; `refusal` is answered after the chunk's bytes are consumed. */
  private bdatReceive(refusal: SmtpReply | null): Outcome {
    const bdat = this.bdatReceiver!;
    bdat.receive(refusal);
    if (bdat.remaining === 0) return this.bdatChunkDone(bdat);
    this.mode = InputMode.BdatChunk;
    return null;
  }

  rset(): Outcome {
    this.clearTransaction();
    this.resetSession();
    return R.ok;
  }

  noop(): Outcome {
    return R.ok;
  }

  quit(): Outcome {
    return QUIT;
  }

  vrfy(argument: string): Outcome {
    if (argument.length === 0) return smtpReply(501, '5.5.4', 'Syntax: VRFY address');
    return R.vrfy;
  }

  help(): Outcome {
    return R.help;
  }

  notImplemented(): Outcome {
    return R.notImplemented;
  }
}
