// The command table (Postfix smtpd style): dispatch and per-command policy as data, not as `if` chains.
// Each command is split as OpenSMTPD splits it: the table's flags say whether it may run now (check_<cmd>),
// the handler does it (proceed_<cmd>).
import { smtpReply, type SmtpReply } from './reply.js';

/** Envelope state (OpenSMTPD's smtp_state, restricted to what SMTP sequencing needs). */
export const enum SmtpState {
  /** Greeted; no EHLO/HELO yet (also right after STARTTLS). */
  Greeted,
  /** EHLO/HELO done, no transaction. */
  Ready,
  /** MAIL accepted. */
  Mail,
  /** At least one RCPT accepted. */
  Rcpt,
}

/** The state a command needs before its handler runs; refused with 503 5.5.1 otherwise. */
export const enum Needs {
  Nothing,
  /** EHLO/HELO done (any transaction state). */
  Helo,
  /** EHLO/HELO done and no transaction open ("Nested MAIL command"). */
  NoTransaction,
  /** MAIL accepted ("Need MAIL before RCPT"). */
  Mail,
  /** A recipient accepted ("Need RCPT before DATA"). */
  Rcpt,
}

/** A reply after which the session ends: `then`, when given, follows `reply` as the last word. */
export interface Closing {
  readonly close: true;
  readonly reply: SmtpReply;
  readonly then: SmtpReply | null;
  /** The session's end reason (log line, observer). */
  readonly reason: string;
}

export function closing(reply: SmtpReply, reason: string, then: SmtpReply | null = null): Closing {
  return { close: true, reply, then, reason };
}

export function isClosing(outcome: SmtpReply | Closing): outcome is Closing {
  return (outcome as Closing).close === true;
}

/** What a handler gives back: a reply now, none (the reply comes later, e.g. after a BDAT chunk), or a promise of one. */
export type Outcome = SmtpReply | Closing | null | Promise<SmtpReply | Closing | null>;

/** The session operations the table dispatches to (SmtpConnection implements them). */
export interface CommandHandlers {
  ehlo(argument: string, extended: boolean): Outcome;
  startTls(argument: string): Outcome;
  auth(argument: string): Outcome;
  mail(argument: string): Outcome;
  rcpt(argument: string): Outcome;
  data(): Outcome;
  bdat(argument: string): Outcome;
  rset(): Outcome;
  noop(): Outcome;
  quit(): Outcome;
  vrfy(argument: string): Outcome;
  help(): Outcome;
  notImplemented(): Outcome;
}

export interface CommandSpec {
  readonly verb: string;
  /** May run before STARTTLS when the listener requires TLS (requireTls). */
  readonly allowedBeforeTls: boolean;
  /** RFC 2920 §3.1: the client waits for this reply, so it is flushed at once. */
  readonly endsBatch: boolean;
  /** A protocol-error reply (5xx syntax/sequence) to this command counts toward maxBadCommands. */
  readonly countsAsBad: boolean;
  /** Takes no argument: anything after the verb is `501 5.5.4 Syntax: <verb>`, checked before the state. */
  readonly noArgument: SmtpReply | null;
  /** The state the command needs (checked after the syntax, before the handler). */
  readonly needs: Needs;
  readonly run: (handlers: CommandHandlers, argument: string) => Outcome;
}

interface Flags {
  beforeTls: boolean;
  endsBatch: boolean;
  countsAsBad: boolean;
  noArgument?: SmtpReply;
  needs?: Needs;
}

function command(verb: string, flags: Flags, run: (handlers: CommandHandlers, argument: string) => Outcome): CommandSpec {
  return {
    verb,
    allowedBeforeTls: flags.beforeTls,
    endsBatch: flags.endsBatch,
    countsAsBad: flags.countsAsBad,
    noArgument: flags.noArgument ?? null,
    needs: flags.needs ?? Needs.Nothing,
    run,
  };
}

const syntax = (verb: string): SmtpReply => smtpReply(501, '5.5.4', `Syntax: ${verb}`);

// BDAT checks its own state: a refused chunk still consumes its bytes (RFC 3030 §2), so it cannot be refused up front.
// AUTH checks "already authenticated" before "in a transaction", so the table asks only for EHLO.
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(
  [
    command('EHLO', { beforeTls: true, endsBatch: false, countsAsBad: true }, (c, a) => c.ehlo(a, true)),
    command('HELO', { beforeTls: true, endsBatch: false, countsAsBad: true }, (c, a) => c.ehlo(a, false)),
    command('STARTTLS', { beforeTls: true, endsBatch: true, countsAsBad: true }, (c, a) => c.startTls(a)),
    command('AUTH', { beforeTls: false, endsBatch: false, countsAsBad: true, needs: Needs.Helo }, (c, a) => c.auth(a)),
    command('MAIL', { beforeTls: false, endsBatch: false, countsAsBad: true, needs: Needs.NoTransaction }, (c, a) => c.mail(a)),
    command('RCPT', { beforeTls: false, endsBatch: false, countsAsBad: true, needs: Needs.Mail }, (c, a) => c.rcpt(a)),
    command('DATA', { beforeTls: false, endsBatch: true, countsAsBad: true, noArgument: syntax('DATA'), needs: Needs.Rcpt }, (c) => c.data()),
    command('BDAT', { beforeTls: false, endsBatch: false, countsAsBad: true }, (c, a) => c.bdat(a)),
    command('RSET', { beforeTls: true, endsBatch: false, countsAsBad: false, noArgument: syntax('RSET') }, (c) => c.rset()),
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
