// Query-string parsing for the admin API: each read names its parameter, so a malformed request is
// answered 400 with {error, parameter, reason} instead of being half-understood.

/** A request the admin API refuses, naming the parameter at fault; `status` is the HTTP status to answer. */
export class AdminRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly parameter: string | null,
    readonly reason: string,
    /** More fields of the error body (a template error's line and column). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(parameter === null ? `${error}: ${reason}` : `${error}: ${parameter}: ${reason}`);
    this.name = 'AdminRequestError';
  }

  static badParameter(parameter: string, reason: string): AdminRequestError {
    return new AdminRequestError(400, 'bad request', parameter, reason);
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const EPOCH_MS = /^\d{1,15}$/;
const INTERVAL = /^(\d{1,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Reads the parameters of one request; unknown and repeated parameters are refused up front. */
export class QueryReader {
  constructor(
    private readonly params: URLSearchParams,
    allowed: readonly string[],
  ) {
    const seen = new Set<string>();
    for (const name of params.keys()) {
      if (!allowed.includes(name)) throw AdminRequestError.badParameter(name, `unknown parameter (expected one of: ${allowed.join(', ')})`);
      if (seen.has(name)) throw AdminRequestError.badParameter(name, 'given more than once');
      seen.add(name);
    }
  }

  /** The raw value; an empty value counts as absent (a form left blank). */
  string(name: string, o: { pattern?: RegExp; describe?: string; maxLength?: number } = {}): string | undefined {
    const v = this.params.get(name);
    if (v === null || v === '') return undefined;
    const max = o.maxLength ?? 320;
    if (v.length > max) throw AdminRequestError.badParameter(name, `longer than ${max} characters`);
    if (o.pattern && !o.pattern.test(v)) throw AdminRequestError.badParameter(name, `must be ${o.describe ?? `of the form ${o.pattern.source}`}`);
    return v;
  }

  required(name: string, o: { pattern?: RegExp; describe?: string; maxLength?: number } = {}): string {
    const v = this.string(name, o);
    if (v === undefined) throw AdminRequestError.badParameter(name, 'is required');
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) throw AdminRequestError.badParameter(name, `must be one of: ${values.join(', ')}`);
    return v as T;
  }

  /** A time as ms since the epoch or ISO 8601 (a date is UTC midnight; a date-time needs Z or an offset). */
  time(name: string): number | undefined {
    const v = this.string(name, { maxLength: 40 });
    if (v === undefined) return undefined;
    const t = parseTime(v);
    if (t === null) throw AdminRequestError.badParameter(name, 'must be ms since the epoch or ISO 8601 (2026-01-31, 2026-01-31T12:00:00Z)');
    return t;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.string(name, { maxLength: 16 });
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw AdminRequestError.badParameter(name, `must be an integer from ${min} to ${max}`);
    return Number(v);
  }

  /** An interval such as 1m, 15m, 1h, 1d, in ms. */
  interval(name: string): number | undefined {
    const v = this.string(name, { maxLength: 8 });
    if (v === undefined) return undefined;
    const m = INTERVAL.exec(v);
    if (!m || Number(m[1]) === 0) throw AdminRequestError.badParameter(name, 'must be a number of minutes, hours or days, e.g. 1m, 15m, 1h, 1d');
    return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
}

export function parseTime(v: string): number | null {
  let t: number;
  if (EPOCH_MS.test(v)) t = Number(v);
  else if (ISO_DATE.test(v)) t = Date.parse(v + 'T00:00:00Z');
  else if (ISO_DATE_TIME.test(v)) t = Date.parse(v);
  else return null;
  return Number.isFinite(t) && t <= 8.64e15 ? t : null;
}

/** "1h" for 3,600,000 ms: the interval as the API writes it back. */
export function formatInterval(ms: number): string {
  if (ms % UNIT_MS.d === 0) return `${ms / UNIT_MS.d}d`;
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  return `${ms / UNIT_MS.m}m`;
}
