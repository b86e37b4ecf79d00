// Parser limits: each bounds memory or work an untrusted message can force on the relay.

export interface MimeLimits {
  /** Bytes of one header block (the message's or a part's), folded lines included. */
  maxHeaderBytes: number;
  /** Header fields in one header block. */
  maxHeaderCount: number;
  /** Nested multipart levels below the message (the message's own multipart is depth 1). */
  maxDepth: number;
  /** Entities in the whole message (the message itself, every multipart and every leaf part). */
  maxParts: number;
  /** Bytes of the kept body (HTML, or plain text when there is no HTML) after transfer decoding, before charset decoding. */
  maxHtmlBytes: number;
}

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = Object.freeze({
  maxHeaderBytes: 256 * 1024,
  maxHeaderCount: 1000,
  maxDepth: 32,
  maxParts: 1000,
  maxHtmlBytes: 8 * 1024 * 1024,
});

export type MimeLimitName = keyof MimeLimits;

/** The message exceeds one of the MimeLimits; the only error the parser throws. */
export class MimeLimitError extends Error {
  readonly limit: MimeLimitName;
  readonly value: number;

  constructor(limit: MimeLimitName, value: number, what: string) {
    super(`${what} exceeds ${limit} (${value})`);
    this.name = 'MimeLimitError';
    this.limit = limit;
    this.value = value;
  }
}

export function isMimeLimitError(e: unknown): e is MimeLimitError {
  return e instanceof MimeLimitError;
}

export function resolveLimits(options?: Partial<MimeLimits>): Readonly<MimeLimits> {
  if (options === undefined) return DEFAULT_MIME_LIMITS;
  const out: MimeLimits = { ...DEFAULT_MIME_LIMITS };
  if (options) {
    for (const key of Object.keys(DEFAULT_MIME_LIMITS) as MimeLimitName[]) {
      const v = options[key];
      if (v !== undefined) {
        if (!Number.isFinite(v) || v < 0) throw new RangeError(`MimeLimits.${key} must be a non-negative number, got ${String(v)}`);
        out[key] = v;
      }
    }
  }
  return out;
}
