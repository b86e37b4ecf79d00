// How a refusal reaches an HTTP client: the SmtpError the SMTP path would send (code, enhanced code, text) as JSON
// `{ "error": { "code", "enhanced", "message", "field"? } }`, under an HTTP status that one table derives from it
// (docs/http-api.md, "Errors"). Refusals only the HTTP API has (unknown path, bad JSON, a field of the wrong type)
// are ApiRefusals: an SMTP-like code of their own and the HTTP status they mean.
import { SmtpError } from '../../protocol/index.js';

/** A refusal of the HTTP layer (no SMTP equivalent), with its status; `field` names the JSON field at fault. */
export class ApiRefusal extends SmtpError {
  constructor(
    readonly status: number,
    code: number,
    enhanced: string,
    text: string,
    readonly field: string | null = null,
    /** Sent with the answer (e.g. Allow with a 405). */
    readonly headers: Record<string, string> = {},
  ) {
    super(code, enhanced, field === null ? text : `${field}: ${text}`);
    this.name = 'ApiRefusal';
  }
}

/** A field of the request that is missing, of the wrong type or out of bounds: 400, 501 5.5.4. */
export function badField(field: string, reason: string): ApiRefusal {
  return new ApiRefusal(400, 501, '5.5.4', reason, field);
}

/** Seconds a client should wait after a temporary local failure (spool full, storage error) before retrying. */
const LOCAL_FAILURE_RETRY_AFTER_S = 10;

interface StatusRule {
  /** What the rule covers, for the reader and docs/http-api.md. */
  what: string;
  applies(e: SmtpError): boolean;
  status: number;
  /** Retry-After in seconds, when the refusal is temporary. */
  retryAfter?(e: SmtpError): number;
}

/** The HTTP status of an SmtpError the accept path throws: the first rule that applies. */
const STATUS_RULES: readonly StatusRule[] = [
  { what: 'no or an unknown API key (530 5.7.0, 535 5.7.8)', applies: (e) => e.code === 530 || e.code === 535, status: 401 },
  {
    what: 'account sending rate or daily quota (451 4.7.1)',
    applies: (e) => e.enhanced === '4.7.1' && e.code < 500,
    status: 429,
    retryAfter: (e) => {
      // A limit store's refusal may say when the send could pass (the local store's AccountLimitError does).
      const ms = (e as { retryAfterMs?: unknown }).retryAfterMs;
      return typeof ms === 'number' && Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 1;
    },
  },
  { what: 'message too big (552 5.3.4)', applies: (e) => e.enhanced === '5.3.4', status: 413 },
  { what: 'request syntax: a bad address or argument (501, 5.5.x, 5.1.3)', applies: (e) => e.code === 501 || e.enhanced.startsWith('5.5.') || e.enhanced === '5.1.3', status: 400 },
  { what: 'policy: sender domain, route, template, tag, variables, From, body (550 5.7.1, 554 5.6.0, other 5xx)', applies: (e) => e.code >= 500, status: 422 },
  { what: 'temporary local failure: spool full, storage, signing (451 4.3.0, other 4xx)', applies: (e) => e.code >= 400, status: 503, retryAfter: () => LOCAL_FAILURE_RETRY_AFTER_S },
];

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  /** The `error` member of the JSON answer. */
  error: { code: number; enhanced: string; message: string; field?: string };
}

/** The status, headers (Retry-After, WWW-Authenticate) and JSON of a refusal. */
export function renderError(e: SmtpError): RenderedError {
  const message = Array.isArray(e.text) ? e.text.join(' ') : String(e.text);
  const error: RenderedError['error'] = { code: e.code, enhanced: e.enhanced, message };
  if (e instanceof ApiRefusal && e.field !== null) error.field = e.field;
  const headers: Record<string, string> = {};
  let status = 500;
  if (e instanceof ApiRefusal) {
    status = e.status;
    Object.assign(headers, e.headers);
  }
  else {
    const rule = STATUS_RULES.find((r) => r.applies(e));
    if (rule) {
      status = rule.status;
      if (rule.retryAfter) headers['retry-after'] = String(rule.retryAfter(e));
    }
  }
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="txrelay"';
  return { status, headers, error };
}

/** What a bug becomes: a temporary error without details (the log has them). */
export const INTERNAL_ERROR = new ApiRefusal(500, 451, '4.3.0', 'Requested action aborted: local error in processing, try again later');
