// What a load run is asked to do, and what it reports.
import { defaultMessageBuilder, type MessageBuilder } from './message.js';

export interface LoadOptions {
  host?: string; // default 127.0.0.1
  port: number;
  /** Concurrent SMTP sessions (default 10). */
  sessions?: number;
  /** Messages to send in total (default 1000). */
  count: number;
  /** Messages per connection before QUIT; 0 keeps each session's connection open for the whole run (default 1). */
  messagesPerConnection?: number;
  /** "lock-step": one command, wait for its reply. "pipelined": MAIL+RCPT+DATA in one write (RFC 2920). */
  mode?: 'lock-step' | 'pipelined';
  /** Size of the default message in bytes (default 2048); ignored when `message` is given. */
  messageSize?: number;
  /** Builds message `index` (headers + body, CRLF line ends). Default: a multipart/alternative of `messageSize`. */
  message?: MessageBuilder;
  /** Envelope sender (default loadgen@example.com). */
  from?: string;
  /** Recipients per message (default 1). */
  rcptCount?: number;
  /** Envelope recipient `r` of message `index` (default user<r>@example.net). */
  recipient?: (index: number, r: number) => string;
  /** STARTTLS after the first EHLO; the server certificate is not verified. */
  startTls?: boolean;
  /** AUTH PLAIN with this API key as password (after STARTTLS when that is on). */
  authKey?: string;
  authUser?: string; // default "loadgen"
  /** Adds an `X-Auth-APIKey: <key>` header line at the top of every message. */
  headerApiKey?: string;
  /** Offered load in messages per second across all sessions; unset sends as fast as replies allow. */
  rate?: number;
  /** Hard limit for the whole run; unfinished messages are abandoned (default 120 000). */
  timeLimitMs?: number;
  /** Silence allowed while a reply is awaited before the connection is dropped (default 10 000). */
  replyTimeoutMs?: number;
  /** EHLO name (default loadgen.invalid). */
  ehloName?: string;
}

export interface LoadResult {
  /** Messages whose end of DATA got a 2xx reply. */
  messages: number;
  /** Messages attempted (a transaction was started or a connection was tried for them). */
  attempted: number;
  seconds: number;
  msgsPerSec: number;
  /** From writing the final dot to the reply, over accepted messages. */
  latencyMs: { p50: number; p99: number; p999: number };
  /** Non-2xx replies counted by code ("550"), connection failures by kind ("socket:ECONNRESET", "timeout:reply"). */
  errors: Record<string, number>;
  /** Queue ids from "... queued as <id>" replies, in acknowledgement order. */
  acked: string[];
  /** The first few error replies and failures, verbatim, to explain the counts. */
  errorSamples: string[];
  connections: number;
}

export type ResolvedLoadOptions = Required<Omit<LoadOptions, 'rate' | 'authKey' | 'headerApiKey' | 'messageSize'>> &
  Pick<LoadOptions, 'rate' | 'authKey' | 'headerApiKey'>;

export function resolveLoadOptions(o: LoadOptions): ResolvedLoadOptions {
  const from = o.from ?? 'loadgen@example.com';
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port,
    sessions: Math.max(1, o.sessions ?? 10),
    count: o.count,
    messagesPerConnection: o.messagesPerConnection ?? 1,
    mode: o.mode ?? 'lock-step',
    message: o.message ?? defaultMessageBuilder({ size: o.messageSize ?? 2048, from }),
    from,
    rcptCount: Math.max(1, o.rcptCount ?? 1),
    recipient: o.recipient ?? ((_index, r) => `user${r}@example.net`),
    startTls: o.startTls ?? false,
    authKey: o.authKey,
    authUser: o.authUser ?? 'loadgen',
    headerApiKey: o.headerApiKey,
    rate: o.rate,
    timeLimitMs: o.timeLimitMs ?? 120_000,
    replyTimeoutMs: o.replyTimeoutMs ?? 10_000,
    ehloName: o.ehloName ?? 'loadgen.invalid',
  };
}
