// Engine settings with their defaults (SPEC §2), checked once at construction with errors naming the field.
import { hostname as osHostname } from 'node:os';
import type { LineEndings } from './data-reader.js';
import type { SmtpObserver } from './observer.js';

export interface SmtpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface SmtpServerOptions {
  /** Greeting and EHLO name; default os.hostname(). */
  hostname?: string;
  /** Enables STARTTLS; absent = STARTTLS not advertised. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Default false: AUTH before STARTTLS is refused with 538 5.7.11 and not advertised. */
  authBeforeTls?: boolean;
  /** Default false: when true, MAIL/RCPT/DATA/BDAT/AUTH before STARTTLS get 530 5.7.0. */
  requireTls?: boolean;
  /**
   * Default "normalize": a bare LF in DATA/BDAT ends a line as CRLF would (only CRLF.CRLF ends DATA); a bare CR
   * is refused with 521 5.5.2. "strict": a bare CR or LF is refused with 521 5.5.2.
   */
  lineEndings?: LineEndings;
  /** Default both; AUTH is advertised only when the backend session implements auth(). */
  authMechanisms?: ('PLAIN' | 'LOGIN')[];
  /** Default 30 MiB (advertised as SIZE). */
  maxMessageSize?: number;
  /** Default 2048 bytes including CRLF. */
  maxLineLength?: number;
  /** Default 100 (452 4.5.3 beyond). */
  maxRecipients?: number;
  /** Default 1000 connections in total (421 4.7.0 at connect beyond). */
  maxConnections?: number;
  /** Default 50 per client address (421 4.7.0 at connect beyond). */
  maxConnectionsPerAddress?: number;
  /** Default 10 protocol errors per session (then 421 4.7.0 and close). */
  maxBadCommands?: number;
  /** Default 3 per session (then 421 4.7.0 and close). */
  maxAuthFailures?: number;
  /** Default 10 per client address per minute, across sessions (then 421 4.7.0). */
  maxAuthFailuresPerAddressPerMinute?: number;
  /** Delay before the n-th failed AUTH reply is n times this; default 1000 ms. */
  authFailureDelayMs?: number;
  /** Default 5 min of client silence (421 4.4.2). */
  commandTimeoutMs?: number;
  /** Default 500 bytes/s averaged over DATA/BDAT once dataRateGraceMs passed; 0 = off. */
  minDataRateBytesPerSec?: number;
  /** Default 10 s before the minimum data rate applies. */
  dataRateGraceMs?: number;
  /** Default 30 min for a whole session (421 4.4.2). */
  sessionDeadlineMs?: number;
  /** Default 0 (off): wait this long before the greeting and refuse clients that talk first. */
  greetingDelayMs?: number;
  /** Default grace period of close() when called without one: 10 s. */
  shutdownGraceMs?: number;
  /** Peers (addresses or CIDR ranges) that must send a PROXY v1/v2 header; from others a header is refused. */
  proxyProtocol?: { trusted: string[] } | undefined;
  logger?: SmtpLogger;
  /** Sessions, replies, TLS handshakes and limits as they happen (metrics); default: none. */
  observer?: SmtpObserver;
}

/** SmtpServerOptions with every default applied. */
export interface EngineConfig {
  hostname: string;
  authBeforeTls: boolean;
  requireTls: boolean;
  lineEndings: LineEndings;
  authMechanisms: readonly ('PLAIN' | 'LOGIN')[];
  maxMessageSize: number;
  maxLineLength: number;
  maxRecipients: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxBadCommands: number;
  maxAuthFailures: number;
  maxAuthFailuresPerAddressPerMinute: number;
  authFailureDelayMs: number;
  commandTimeoutMs: number;
  minDataRateBytesPerSec: number;
  dataRateGraceMs: number;
  sessionDeadlineMs: number;
  greetingDelayMs: number;
  shutdownGraceMs: number;
}

export const DEFAULTS = {
  maxMessageSize: 30 * 1024 * 1024,
  maxLineLength: 2048,
  maxRecipients: 100,
  maxConnections: 1000,
  maxConnectionsPerAddress: 50,
  maxBadCommands: 10,
  maxAuthFailures: 3,
  maxAuthFailuresPerAddressPerMinute: 10,
  authFailureDelayMs: 1000,
  commandTimeoutMs: 5 * 60 * 1000,
  minDataRateBytesPerSec: 500,
  dataRateGraceMs: 10_000,
  sessionDeadlineMs: 30 * 60 * 1000,
  greetingDelayMs: 0,
  shutdownGraceMs: 10_000,
} as const;

/** RFC 4954 §4: AUTH lines may be up to 12288 octets whatever the command line limit is. */
export const AUTH_LINE_LENGTH = 12288;

function count(options: SmtpServerOptions, field: keyof typeof DEFAULTS, allowZero: boolean): number {
  const value = (options as Record<string, unknown>)[field];
  if (value === undefined) return DEFAULTS[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new TypeError(`SmtpServerOptions.${field}: must be an integer >= ${allowZero ? 0 : 1}, got ${String(value)}`);
  }
  return value;
}

function lineEndings(value: unknown): LineEndings {
  if (value === undefined) return 'normalize';
  if (value !== 'normalize' && value !== 'strict') {
    throw new TypeError(`SmtpServerOptions.lineEndings: must be "normalize" or "strict", got ${JSON.stringify(value)}`);
  }
  return value;
}

export function resolveOptions(options: SmtpServerOptions): EngineConfig {
  const mechanisms = options.authMechanisms ?? ['PLAIN', 'LOGIN'];
  for (const m of mechanisms) {
    if (m !== 'PLAIN' && m !== 'LOGIN') throw new TypeError(`SmtpServerOptions.authMechanisms: unknown mechanism "${String(m)}"`);
  }
  const config: EngineConfig = {
    hostname: options.hostname ?? osHostname(),
    authBeforeTls: options.authBeforeTls ?? false,
    requireTls: options.requireTls ?? false,
    lineEndings: lineEndings(options.lineEndings),
    authMechanisms: mechanisms,
    maxMessageSize: count(options, 'maxMessageSize', false),
    maxLineLength: count(options, 'maxLineLength', false),
    maxRecipients: count(options, 'maxRecipients', false),
    maxConnections: count(options, 'maxConnections', false),
    maxConnectionsPerAddress: count(options, 'maxConnectionsPerAddress', false),
    maxBadCommands: count(options, 'maxBadCommands', false),
    maxAuthFailures: count(options, 'maxAuthFailures', false),
    maxAuthFailuresPerAddressPerMinute: count(options, 'maxAuthFailuresPerAddressPerMinute', false),
    authFailureDelayMs: count(options, 'authFailureDelayMs', true),
    commandTimeoutMs: count(options, 'commandTimeoutMs', false),
    minDataRateBytesPerSec: count(options, 'minDataRateBytesPerSec', true),
    dataRateGraceMs: count(options, 'dataRateGraceMs', true),
    sessionDeadlineMs: count(options, 'sessionDeadlineMs', false),
    greetingDelayMs: count(options, 'greetingDelayMs', true),
    shutdownGraceMs: count(options, 'shutdownGraceMs', true),
  };
  if (config.maxLineLength < 512) throw new TypeError('SmtpServerOptions.maxLineLength: must be at least 512 (RFC 5321 §4.5.3.1.4)');
  if (config.hostname.length === 0 || /[\s]/.test(config.hostname)) throw new TypeError('SmtpServerOptions.hostname: must be one non-empty word');
  return config;
}
