// The narrow interface between the SMTP engine and its user, in the spirit of go-smtp's Backend/Session.
// Every method may throw (or reject with) an SmtpError; its reply reaches the wire unchanged.
// Any other error becomes "451 4.3.0 Local error" and is logged by the engine, never shown to the client.
import type { SmtpReply } from './reply.js';

export interface ConnectionInfo {
  /** Engine-assigned session id, unique within the process. */
  readonly id: string;
  /** The client's address: the PROXY protocol source when the peer is a trusted proxy. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** True when the PROXY protocol supplied remoteAddress. */
  readonly proxied: boolean;
}

export interface TlsInfo {
  readonly protocol: string;
  readonly cipher: string;
}

/** State of the session the backend can read at each call. */
export interface SessionState {
  readonly connection: ConnectionInfo;
  /** The EHLO/HELO argument, once given. */
  readonly heloName: string | null;
  /** Set after a successful STARTTLS handshake. */
  readonly tls: TlsInfo | null;
  /** The username of a successful AUTH, or null. */
  readonly authUser: string | null;
}

/** ESMTP parameters of MAIL FROM (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8). */
export interface MailParams {
  size: number | null;
  body: '7BIT' | '8BITMIME' | 'BINARYMIME' | null;
  smtputf8: boolean;
}

/** Receives the message body as it arrives: dot-stuffing removed, CRLF line ends, never the whole message at once. */
export interface DataSink {
  /**
   * A piece of the body: a slice of the socket read buffer, never reused by the engine (a kept slice pins that buffer).
   * Throwing an SmtpError stops delivery of further chunks; the engine calls abort(), drains to the end and replies with it.
   */
  write(chunk: Buffer): void;
  /** The body is complete. Resolve with the reply for DATA / BDAT LAST (default "250 2.0.0 Ok"). */
  end(): Promise<SmtpReply | void> | SmtpReply | void;
  /** The body will not complete (size exceeded, bare CR/LF, connection lost, timeout). Nothing must be kept. */
  abort(reason: string): void;
}

export interface Session {
  /** AUTH PLAIN / LOGIN. Resolve to accept (235 2.7.0), throw SmtpError 535 5.7.8 to refuse. */
  auth?(mechanism: 'PLAIN' | 'LOGIN', username: string, password: string, state: SessionState): Promise<void> | void;
  /** MAIL FROM. `from` is the reverse-path without angle brackets ("" for the null sender). */
  mail(from: string, params: MailParams, state: SessionState): Promise<void> | void;
  /** RCPT TO. `to` is the forward-path without angle brackets. */
  rcpt(to: string, state: SessionState): Promise<void> | void;
  /** DATA or the first BDAT: return the sink that receives the body. */
  data(state: SessionState): Promise<DataSink> | DataSink;
  /** RSET, EHLO/HELO, STARTTLS, and the end of every DATA / BDAT LAST (whatever its outcome): forget the envelope. */
  reset(): void;
  /** The connection is gone (QUIT, error, timeout, shutdown). Called exactly once. */
  close(): void;
}

export interface Backend {
  /** A client connected. Return its session, or throw SmtpError (e.g. 421 4.7.0 / 554 5.7.1) to refuse it. */
  connect(connection: ConnectionInfo): Promise<Session> | Session;
}
