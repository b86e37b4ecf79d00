// Every way an SMTP client session can fail, as a typed error. A route turns them into per-recipient outcomes:
// `permanent` errors can never succeed with this message (fail it); every other one is worth a later retry.
import { formatClientReply, type ClientReply } from './reply.js';

export type SmtpClientErrorKind =
  | 'connection-refused'
  | 'connection-failed'
  | 'local-address'
  | 'connection-closed'
  | 'timeout'
  | 'tls-not-offered'
  | 'tls-failed'
  | 'certificate-invalid'
  | 'auth-refused'
  | 'protocol'
  | 'reply'
  | 'smtputf8-not-offered'
  | 'message-too-large'
  | 'invalid-address';

export abstract class SmtpClientError extends Error {
  abstract readonly kind: SmtpClientErrorKind;
  /** True when retrying the same message against the same server cannot succeed. */
  readonly permanent: boolean = false;
}

/** Nothing listens at host:port (ECONNREFUSED). */
export class ConnectionRefusedError extends SmtpClientError {
  readonly kind = 'connection-refused';
  constructor(host: string, port: number) {
    super(`connection refused by ${host}:${port}`);
    this.name = 'ConnectionRefusedError';
  }
}

/** The connection could not be made or broke (DNS failure, reset, unreachable). */
export class ConnectionFailedError extends SmtpClientError {
  readonly kind = 'connection-failed';
  readonly code: string | undefined;
  constructor(host: string, port: number, cause: Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    super(`connection to ${host}:${port} failed: ${code ?? cause.message}`);
    this.name = 'ConnectionFailedError';
    this.code = code;
  }
}

/**
 * The source address asked for (`localAddress`) cannot be used: not an IP address, of the other family than the
 * host, or not bindable on this machine (EADDRNOTAVAIL: no interface has it). A configuration matter, so temporary.
 */
export class LocalAddressError extends SmtpClientError {
  readonly kind = 'local-address';
  constructor(
    readonly localAddress: string,
    detail: string,
  ) {
    super(`cannot use local address ${localAddress}: ${detail}`);
    this.name = 'LocalAddressError';
  }
}

/** The server closed the connection while the client waited for a reply or was sending. */
export class ConnectionClosedError extends SmtpClientError {
  readonly kind = 'connection-closed';
  constructor(readonly stage: string) {
    super(`connection closed by the server during ${stage}`);
    this.name = 'ConnectionClosedError';
  }
}

/** A step took longer than its RFC 5321 §4.5.3.2 timeout. */
export class SmtpTimeoutError extends SmtpClientError {
  readonly kind = 'timeout';
  constructor(
    readonly stage: string,
    readonly ms: number,
  ) {
    super(`timed out after ${ms} ms waiting for ${stage}`);
    this.name = 'SmtpTimeoutError';
  }
}

/** tls "required" but the server's EHLO response has no STARTTLS (or it refused the command). */
export class TlsNotOfferedError extends SmtpClientError {
  readonly kind = 'tls-not-offered';
  constructor(host: string, detail = 'the server does not offer STARTTLS') {
    super(`TLS required for ${host} but not available: ${detail}`);
    this.name = 'TlsNotOfferedError';
  }
}

/** The TLS handshake failed for a reason other than the certificate. */
export class TlsHandshakeError extends SmtpClientError {
  readonly kind = 'tls-failed';
  constructor(host: string, cause: Error) {
    super(`TLS handshake with ${host} failed: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`);
    this.name = 'TlsHandshakeError';
  }
}

/** The server's certificate did not verify (untrusted issuer, wrong name, expired). */
export class CertificateInvalidError extends SmtpClientError {
  readonly kind = 'certificate-invalid';
  readonly code: string;
  constructor(host: string, cause: Error) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    super(`certificate of ${host} is invalid (${code}): ${cause.message}; set caFile, or verifyCertificate false to accept it`);
    this.name = 'CertificateInvalidError';
    this.code = code;
  }
}

/** AUTH could not be done: not offered, no common mechanism, not over TLS, or the credentials were refused. */
export class AuthRefusedError extends SmtpClientError {
  readonly kind = 'auth-refused';
  constructor(
    host: string,
    detail: string,
    readonly reply: ClientReply | null = null,
  ) {
    super(`AUTH with ${host} failed: ${detail}${reply ? `: ${formatClientReply(reply)}` : ''}`);
    this.name = 'AuthRefusedError';
  }
}

/** The server broke the protocol (malformed reply, reply when none was due). */
export class SmtpProtocolError extends SmtpClientError {
  readonly kind = 'protocol';
  constructor(detail: string) {
    super(`SMTP protocol error: ${detail}`);
    this.name = 'SmtpProtocolError';
  }
}

/** A session-level command (greeting, EHLO/HELO, STARTTLS, RSET) got a negative reply. */
export class SmtpReplyError extends SmtpClientError {
  readonly kind = 'reply';
  constructor(
    readonly stage: string,
    readonly reply: ClientReply,
  ) {
    super(`${stage} refused: ${formatClientReply(reply)}`);
    this.name = 'SmtpReplyError';
  }
}

/** The envelope needs SMTPUTF8 (RFC 6531) and the server does not offer it: refused locally, before MAIL. */
export class Smtputf8NotOfferedError extends SmtpClientError {
  readonly kind = 'smtputf8-not-offered';
  override readonly permanent = true;
  constructor(host: string, address: string) {
    super(`address ${JSON.stringify(address)} needs SMTPUTF8, which ${host} does not offer`);
    this.name = 'Smtputf8NotOfferedError';
  }
}

/** The message is larger than the server's SIZE (RFC 1870): refused locally, before MAIL. */
export class MessageTooLargeError extends SmtpClientError {
  readonly kind = 'message-too-large';
  override readonly permanent = true;
  constructor(host: string, size: number, max: number) {
    super(`message of ${size} bytes exceeds the SIZE limit of ${host} (${max} bytes)`);
    this.name = 'MessageTooLargeError';
  }
}

/** An envelope address that cannot be written into a command (CR, LF, angle brackets, not a mailbox). */
export class InvalidAddressError extends SmtpClientError {
  readonly kind = 'invalid-address';
  override readonly permanent = true;
  constructor(address: string, reason: string) {
    super(`invalid envelope address ${JSON.stringify(address)}: ${reason}`);
    this.name = 'InvalidAddressError';
  }
}
