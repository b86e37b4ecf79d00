// The HTTP send API (docs/http-api.md): JSON in, the SMTP accept path's rules, spool and delivery behind it.
export { HttpApiServer, type HttpApiServerOptions } from './http-api-server.js';
export { IdempotencyStore, IDEMPOTENCY_TTL_MS, type IdempotencyOptions } from './idempotency-store.js';
export { ApiRefusal, renderError } from './api-error.js';
