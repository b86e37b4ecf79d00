// Engine settings with their defaults (SPEC §2), checked once at construction with errors naming the field.
import { hostname as osHostname } from 'node:os';
import type { LineEndings } from './data-reader.js';
import type { SmtpServerOptions } from './server.js';

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
