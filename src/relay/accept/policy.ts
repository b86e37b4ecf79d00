// The rules of SPEC §3 that decide what happens to a message, each failure an SmtpError with its reply.
import { SmtpError } from '../../protocol/index.js';
import type { AccountConfig, RouteConfig } from '../config/index.js';
import { TemplateVariablesError, parseTemplateJson } from '../template/variables.js';

export const UNTAGGED = 'untagged';
const TAG_CHARS = /^[a-z0-9._-]+$/;
const MAX_TAG_LENGTH = 64;

/** X-Transactional-Tag: trimmed and lower-cased; blank or absent means "untagged". */
export function normalizeTag(raw: string | null): string {
  if (raw === null) return UNTAGGED;
  const tag = raw.trim().toLowerCase();
  if (tag === '') return UNTAGGED;
  if (tag.length > MAX_TAG_LENGTH) {
    throw new SmtpError(554, '5.6.0', `X-Transactional-Tag is longer than ${MAX_TAG_LENGTH} characters`);
  }
  if (!TAG_CHARS.test(tag)) {
    throw new SmtpError(554, '5.6.0', 'X-Transactional-Tag may only contain a-z, 0-9, ".", "_" and "-"');
  }
  return tag;
}

export interface SelectedRoute {
  name: string;
  config: RouteConfig;
}

/** X-Transactional-Route, or the account's only route, or its default route. */
export function selectRoute(account: AccountConfig, header: string | null): SelectedRoute {
  const names = Object.keys(account.routes);
  const wanted = header?.trim() ?? '';
  if (wanted !== '') {
    const config = Object.hasOwn(account.routes, wanted) ? account.routes[wanted] : undefined;
    if (!config) throw new SmtpError(550, '5.7.1', `X-Transactional-Route "${printable(wanted)}" is not a route of this account`);
    return { name: wanted, config };
  }
  if (account.defaultRoute !== null) {
    return { name: account.defaultRoute, config: account.routes[account.defaultRoute]! };
  }
  if (names.length === 1) return { name: names[0]!, config: account.routes[names[0]!]! };
  throw new SmtpError(550, '5.7.1', 'X-Transactional-Route is required');
}

/**
 * X-Transactional-Variables: absent or `null` means "do not render"; an object (even `{}`) means render.
 * Anything else is 554 5.6.0 with the reason.
 */
export function parseVariables(raw: string | null, maxBytes: number): Record<string, unknown> | null {
  if (raw === null) return null;
  const text = raw.trim();
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new SmtpError(554, '5.6.0', `X-Transactional-Variables is larger than ${maxBytes} bytes`);
  }
  // The template engine's JSON reader keeps `10.0` a float, so it prints "10.0" as Jinja2 does.
  let value: unknown;
  try {
    value = parseTemplateJson(text);
  } catch (e) {
    if (!(e instanceof TemplateVariablesError)) throw e;
    throw new SmtpError(554, '5.6.0', `X-Transactional-Variables is not valid JSON: ${printable(e.message.replace(/^variables are not valid JSON: /, ''))}`);
  }
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    throw new SmtpError(554, '5.6.0', `X-Transactional-Variables must be a JSON object, not ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'a number' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** Optional per-account sender domains: the From address must be in one of them (exact domain match). */
export function checkSenderDomain(account: AccountConfig, fromAddress: string): void {
  if (account.senderDomains === null) return;
  const at = fromAddress.lastIndexOf('@');
  const domain = at < 0 ? '' : fromAddress.slice(at + 1).toLowerCase();
  if (!account.senderDomains.some((d) => d.toLowerCase() === domain)) {
    throw new SmtpError(550, '5.7.1', `Sender domain "${printable(domain)}" is not allowed for this account`);
  }
}

/** Keeps reply text one printable line: header values are untrusted and must not break the reply. */
export function printable(s: string, max = 200): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || c === 0x7f ? '?' : ch;
    if (out.length >= max) return out + '...';
  }
  return out;
}
