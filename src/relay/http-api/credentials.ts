// The API key of an HTTP send API request: `Authorization: Bearer <key>` (RFC 6750) or `X-Auth-APIKey: <key>`, the
// header SMTP clients put in the message. Looked up through the runtime's key index, as SMTP AUTH is.
import type { IncomingHttpHeaders } from 'node:http';
import type { AccountConfig } from '../config/index.js';
import type { RelayRuntime } from '../accept/queue-message.js';
import { ApiRefusal } from './api-error.js';

/** The account whose key the request presents; throws 401 (with SMTP's 530 5.7.0 or 535 5.7.8) otherwise. */
export function accountOfRequest(headers: IncomingHttpHeaders, runtime: RelayRuntime): AccountConfig {
  const key = presentedKey(headers);
  if (key === null) throw new ApiRefusal(401, 530, '5.7.0', 'Authentication required: send the API key as "Authorization: Bearer <key>" or "X-Auth-APIKey: <key>"');
  const account = runtime.keys.lookup(key);
  if (account === null) throw new ApiRefusal(401, 535, '5.7.8', 'Authentication credentials invalid');
  return account;
}

function presentedKey(headers: IncomingHttpHeaders): string | null {
  const authorization = headers['authorization'];
  if (authorization !== undefined) {
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
    if (!m) throw new ApiRefusal(401, 535, '5.7.8', 'Authentication credentials invalid: the Authorization header must be "Bearer <key>"');
    return m[1]!;
  }
  const header = headers['x-auth-apikey'];
  const key = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  return key === '' ? null : key;
}
