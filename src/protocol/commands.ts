// The command table (Postfix smtpd style): dispatch and per-command policy as data, not as `if` chains.
import type { SmtpReply } from './reply.js';
import type { SmtpConnection } from './connection.js';

/** What a handler gives back: a reply now, none (the reply comes later, e.g. after a BDAT chunk), or a promise of one. */
export type Outcome = SmtpReply | null | Promise<SmtpReply | null>;

export interface CommandSpec {
  readonly verb: string;
  /** May run before STARTTLS when the listener requires TLS (requireTls). */
  readonly allowedBeforeTls: boolean;
  /** RFC 2920 §3.1: the client waits for this reply, so it is flushed at once. */
  readonly endsBatch: boolean;
  /** A protocol-error reply (5xx syntax/sequence) to this command counts toward maxBadCommands. */
  readonly countsAsBad: boolean;
  readonly run: (connection: SmtpConnection, argument: string) => Outcome;
}

function command(
  verb: string,
  flags: { beforeTls: boolean; endsBatch: boolean; countsAsBad: boolean },
  run: (connection: SmtpConnection, argument: string) => Outcome,
): CommandSpec {
  return { verb, allowedBeforeTls: flags.beforeTls, endsBatch: flags.endsBatch, countsAsBad: flags.countsAsBad, run };
}

export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  [
    command('EHLO', { beforeTls: true, endsBatch: false, countsAsBad: true }, (c, a) => c.ehlo(a, true)),
    command('HELO', { beforeTls: true, endsBatch: false, countsAsBad: true }, (c, a) => c.ehlo(a, false)),
    command('STARTTLS', { beforeTls: true, endsBatch: true, countsAsBad: true }, (c, a) => c.startTls(a)),
    command('AUTH', { beforeTls: false, endsBatch: false, countsAsBad: true }, (c, a) => c.auth(a)),
    command('MAIL', { beforeTls: false, endsBatch: false, countsAsBad: true }, (c, a) => c.mail(a)),
    command('RCPT', { beforeTls: false, endsBatch: false, countsAsBad: true }, (c, a) => c.rcpt(a)),
    command('DATA', { beforeTls: false, endsBatch: true, countsAsBad: true }, (c, a) => c.data(a)),
    command('BDAT', { beforeTls: false, endsBatch: false, countsAsBad: true }, (c, a) => c.bdat(a)),
    command('RSET', { beforeTls: true, endsBatch: false, countsAsBad: false }, (c, a) => c.rset(a)),
    command('NOOP', { beforeTls: true, endsBatch: false, countsAsBad: false }, (c) => c.noop()),
    command('QUIT', { beforeTls: true, endsBatch: true, countsAsBad: false }, (c) => c.quit()),
    command('VRFY', { beforeTls: true, endsBatch: false, countsAsBad: true }, (c, a) => c.vrfy(a)),
    command('HELP', { beforeTls: true, endsBatch: false, countsAsBad: false }, (c) => c.help()),
    command('EXPN', { beforeTls: true, endsBatch: false, countsAsBad: true }, (c) => c.notImplemented()),
  ].map((spec) => [spec.verb, spec]),
);

/** First-command verbs that mean an HTTP client dialled the SMTP port (SPEC §2). */
export const HTTP_VERBS: ReadonlySet<string> = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'PATCH', 'TRACE']);

/** Engine-produced protocol errors (syntax, sequence, not implemented, TLS required) — what maxBadCommands counts. */
export function isProtocolError(code: number): boolean {
  return (code >= 500 && code <= 504) || code === 555 || code === 530 || code === 538;
}
