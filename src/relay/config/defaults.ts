// The defaults validateConfig applies to every absent field of the limits, the queue and the listeners.
import { ENGINE_DEFAULTS } from '../../protocol/index.js';
import { DEFAULT_LIMITS as DEFAULT_TEMPLATE_LIMITS } from '../template/options.js';
import type { LimitsConfig, ListenerConfig, MessageLimitsConfig, QueueConfig } from './schema.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_MESSAGE_LIMITS: Readonly<MessageLimitsConfig> = Object.freeze({
  maxHeaderBytes: 64 * KiB,
  maxHeaders: 500,
  maxDepth: 20,
  maxParts: 500,
  maxHtmlBytes: 2 * MiB,
  maxVariablesBytes: 64 * KiB,
  maxTagsPerAccount: 400,
});

// The SMTP limits default to the engine's own defaults and the template limits to the template engine's: one
// source each, so the relay and `SmtpServer` used alone behave the same.
export const DEFAULT_LIMITS: Readonly<LimitsConfig> = Object.freeze({
  ...ENGINE_DEFAULTS,
  ...DEFAULT_MESSAGE_LIMITS,
  template: Object.freeze({ ...DEFAULT_TEMPLATE_LIMITS }),
});

export const DEFAULT_QUEUE: Readonly<QueueConfig> = Object.freeze({
  maxAgeMs: 48 * 3600_000,
  retryMinMs: 60_000,
  retryMaxMs: 3600_000,
  maxPendingBytes: 1024 * MiB,
  maxPendingMessages: 100_000,
  hold: false,
});

/** The three plain SMTP ports of SPEC §1. */
export const DEFAULT_PORTS: readonly number[] = [587, 2525, 8025];

export function defaultListener(port: number): ListenerConfig {
  return { port, host: '0.0.0.0', authBeforeTls: false, proxyProtocol: null, lineEndings: 'normalize' };
}
