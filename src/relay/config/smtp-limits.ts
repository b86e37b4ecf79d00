// The relay's SMTP limits are the engine's: their names come from the engine's DEFAULTS, listed nowhere else.
import { ENGINE_DEFAULTS } from '../../protocol/index.js';
import type { LimitsConfig, SmtpLimitName, SmtpLimitsConfig } from './schema.js';

/** The engine's limit names, in the engine's order (the order check-config reports them in). */
export const SMTP_LIMIT_NAMES: readonly SmtpLimitName[] = Object.freeze(Object.keys(ENGINE_DEFAULTS) as SmtpLimitName[]);

/** Limits where 0 means "off" rather than "nothing allowed" (the relay, unlike the engine, requires shutdownGraceMs >= 1). */
export const SMTP_LIMITS_ZERO_MEANS_OFF: ReadonlySet<SmtpLimitName> = new Set<SmtpLimitName>(['authFailureDelayMs', 'minDataRateBytesPerSec', 'dataRateGraceMs', 'greetingDelayMs']);

/** The engine-limit subset of the configured limits, to spread into SmtpServerOptions. */
export function smtpLimitsOf(limits: LimitsConfig): SmtpLimitsConfig {
  const out = {} as SmtpLimitsConfig;
  for (const name of SMTP_LIMIT_NAMES) out[name] = limits[name];
  return out;
}
