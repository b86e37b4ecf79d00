// Validation of the account sections: accounts, their routes, templates and rates.
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { FieldReader, isPlainObject, pathOf, typeName } from './field-reader.js';
import { ADDRESS_PATTERN, API_KEY_HASH_PATTERN, DOMAIN_PATTERN, MAX_INT, NAME_PATTERN, TAG_PATTERN, checkAddressOrCidr, checkDnsServer, isHostName, readableFile } from './formats.js';
import { DKIM_ALGORITHMS, DkimError, loadDkimKey } from '../dkim/index.js';
import { readWebhooks } from './validate-webhooks.js';
import { readRetention } from './validate-retention.js';
import type { AccountConfig, DkimKeyFileConfig, MxRouteConfig, RateConfig, RetentionConfig, ReturnPathConfig, RouteConfig, TemplateConfig, TrackingConfig, TrackingOverride, PublicTrackingConfig, UnsubscribeConfig } from './schema.js';

const MX_ROUTE_FIELDS = [
  'type', 'port', 'helo', 'localAddresses', 'ipFamily', 'tls', 'caFile', 'mtaSts', 'dnsServers',
  'maxConnectionsPerDestination', 'maxMessagesPerConnection', 'connectTimeoutMs', 'dkim', 'returnPath',
];

/** `"returnPath": { "domain": "bounces.example.com" }` of any route type; null when absent. */
function readReturnPath(rr: FieldReader): ReturnPathConfig | null {
  const pr = rr.child('returnPath', ['domain']);
  if (!pr) return null;
  const domain = (pr.string('domain') ?? '').toLowerCase();
  if (!DOMAIN_PATTERN.test(domain)) {
    if (pr.has('domain')) pr.fail('domain', `must be a domain name (its MX points at the inbound listener), got ${JSON.stringify(domain)}`);
    return null;
  }
  return { domain };
}

function readMxRoute(rr: FieldReader, baseDir: string): MxRouteConfig {
  new FieldReader(rr.issues, rr.path, rr.obj, MX_ROUTE_FIELDS); // reports unknown fields
  const port = rr.int('port', 1, 65535, 25);
  const helo = rr.string('helo', null);
  if (helo !== null && !DOMAIN_PATTERN.test(helo.toLowerCase())) rr.fail('helo', `must be a host name (sent in EHLO), got ${JSON.stringify(helo)}`);
  const localAddresses = rr.stringArray('localAddresses', (s) => (isIP(s) === 0 ? `must be an IP address, got ${JSON.stringify(s)}` : null)) ?? [];
  const ipFamily = rr.oneOf('ipFamily', ['any', 'ipv4', 'ipv6'] as const, 'any');
  // A pool with no address of the only family the route connects to could never open a connection.
  const needed = ipFamily === 'ipv4' ? 4 : ipFamily === 'ipv6' ? 6 : 0;
  if (needed !== 0 && localAddresses.length > 0 && !localAddresses.some((a) => isIP(a) === needed)) {
    rr.fail('localAddresses', `has no IPv${needed} address, and ipFamily is "${ipFamily}"`);
  }
  const tls = rr.oneOf('tls', ['opportunistic', 'verify', 'none'] as const, 'opportunistic');
  let caFile = rr.string('caFile', null);
  if (caFile !== null) {
    caFile = resolve(baseDir, caFile);
    const reason = readableFile(caFile);
    if (reason) rr.fail('caFile', reason);
  }
  const mtaSts = rr.bool('mtaSts', true);
  const dnsServers = rr.stringArray('dnsServers', checkDnsServer);
  if (Array.isArray(rr.obj['dnsServers']) && rr.obj['dnsServers'].length === 0) rr.fail('dnsServers', 'must list at least one server (or be left out for the system resolver)');
  const maxConnectionsPerDestination = rr.int('maxConnectionsPerDestination', 1, 1000, 10);
  const maxMessagesPerConnection = rr.int('maxMessagesPerConnection', 1, MAX_INT, 100);
  const connectTimeoutMs = rr.int('connectTimeoutMs', 1, 600_000, 30_000);
  const dkim = rr.bool('dkim', true);
  return {
    type: 'mx', dkim, port, helo, localAddresses, ipFamily, tls, caFile, mtaSts, dnsServers: dnsServers?.length ? dnsServers : null,
    maxConnectionsPerDestination, maxMessagesPerConnection, connectTimeoutMs, returnPath: readReturnPath(rr),
  };
}

function readRoute(rr: FieldReader, baseDir: string): RouteConfig | null {
  const type = rr.obj['type'];
  if (type === 'file') {
    new FieldReader(rr.issues, rr.path, rr.obj, ['type', 'path', 'dkim', 'returnPath']); // reports unknown fields
    const p = rr.string('path');
    const dkim = rr.bool('dkim', true);
    if (p === null) return null;
    const abs = resolve(baseDir, p);
    try {
      if (!statSync(abs).isDirectory()) rr.fail('path', `${abs} exists and is not a folder`);
    } catch {
      // A missing folder is created by RouteFile at start.
    }
    return { type: 'file', path: abs, dkim, returnPath: readReturnPath(rr) };
  }
  if (type === 'smtp') {
    const allowed = ['type', 'host', 'port', 'tls', 'verifyCertificate', 'caFile', 'username', 'password', 'poolSize', 'maxMessagesPerConnection', 'envelopeFrom', 'dkim', 'returnPath'];
    new FieldReader(rr.issues, rr.path, rr.obj, allowed); // reports unknown fields
    const host = rr.string('host') ?? '';
    if (host && !isHostName(host)) rr.fail('host', `must be a host name or IP address, got ${JSON.stringify(host)}`);
    const port = rr.int('port', 1, 65535, 25);
    const tls = rr.oneOf('tls', ['required', 'opportunistic', 'none'] as const, 'required');
    const verifyCertificate = rr.bool('verifyCertificate', true);
    let caFile = rr.string('caFile', null);
    if (caFile !== null) {
      caFile = resolve(baseDir, caFile);
      const reason = readableFile(caFile);
      if (reason) rr.fail('caFile', reason);
    }
    const username = rr.string('username', null);
    const password = rr.string('password', null);
    if ((username === null) !== (password === null)) rr.fail(username === null ? 'username' : 'password', 'is required when the other of username/password is set');
    if (username !== null && tls === 'none') rr.fail('tls', 'must not be "none" when username/password are set (credentials would travel in clear)');
    const poolSize = rr.int('poolSize', 1, 1000, 4);
    const maxMessagesPerConnection = rr.int('maxMessagesPerConnection', 1, MAX_INT, 100);
    const envelopeFrom = rr.string('envelopeFrom', null);
    if (envelopeFrom !== null && !ADDRESS_PATTERN.test(envelopeFrom)) rr.fail('envelopeFrom', `must be a bare address like bounces@example.com, got ${JSON.stringify(envelopeFrom)}`);
    const dkim = rr.bool('dkim', true);
    const returnPath = readReturnPath(rr);
    if (returnPath !== null && envelopeFrom !== null) rr.fail('returnPath', 'must not be set together with envelopeFrom (both choose the envelope sender)');
    return { type: 'smtp', host, port, tls, verifyCertificate, caFile, username, password, poolSize, maxMessagesPerConnection, envelopeFrom, dkim, returnPath };
  }
  if (type === 'mx') return readMxRoute(rr, baseDir);
  rr.fail('type', type === undefined ? 'is required ("file", "smtp" or "mx")' : `must be "file", "smtp" or "mx", got ${JSON.stringify(type)}`);
  return null;
}

/** The account's DKIM keys; each key file is read and checked now (type, RSA size), so a bad key stops the start. */
function readDkimKeys(ar: FieldReader, baseDir: string): DkimKeyFileConfig[] {
  const raw = ar.obj['dkim'];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    ar.fail('dkim', `must be an array of keys, got ${typeName(raw)}`);
    return [];
  }
  const out: DkimKeyFileConfig[] = [];
  raw.forEach((item: unknown, i) => {
    const kr = FieldReader.of(ar.issues, pathOf(ar.at('dkim'), i), item, ['domain', 'selector', 'algorithm', 'privateKeyFile']);
    if (!kr) return;
    const domain = (kr.string('domain') ?? '').toLowerCase();
    if (domain && !DOMAIN_PATTERN.test(domain)) kr.fail('domain', `must be a domain name, got ${JSON.stringify(domain)}`);
    const selector = kr.string('selector') ?? '';
    if (selector && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(selector)) kr.fail('selector', `must be DNS labels, got ${JSON.stringify(selector)}`);
    const algorithm = kr.oneOf('algorithm', DKIM_ALGORITHMS, 'rsa-sha256');
    const file = kr.string('privateKeyFile');
    if (file === null || !domain || !selector) return;
    const privateKeyFile = resolve(baseDir, file);
    let pem: string;
    try {
      pem = readFileSync(privateKeyFile, 'utf8');
    } catch (err) {
      kr.fail('privateKeyFile', `cannot read ${privateKeyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    try {
      loadDkimKey({ domain, selector, algorithm, privateKeyPem: pem });
    } catch (err) {
      if (!(err instanceof DkimError)) throw err;
      kr.fail('privateKeyFile', err.message);
      return;
    }
    out.push({ domain, selector, algorithm, privateKeyFile });
  });
  return out;
}

/**
 * The `baseUrl` of a link the relay writes into messages (`<baseUrl>/<token>`): absolute, of one of `protocols`, with
 * no credentials, query, fragment, quotes or spaces; trailing slashes dropped. '' after a reported problem.
 */
function readBaseUrl(r: FieldReader, protocols: readonly string[], example: string, rule: string | null): string {
  const raw = r.string('baseUrl');
  if (raw === null) return '';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    r.fail('baseUrl', `must be an absolute URL like "${example}", got ${JSON.stringify(raw)}`);
    return '';
  }
  if (!protocols.includes(url.protocol)) {
    const kinds = protocols.map((p) => p.slice(0, -1)).join(' or ');
    r.fail('baseUrl', `must be an ${kinds} URL${rule ? ` (${rule})` : ''}, got ${JSON.stringify(raw)}`);
  } else if (url.username !== '' || url.password !== '') {
    r.fail('baseUrl', 'must not carry a user name or password');
  } else if (url.search !== '' || url.hash !== '' || /[?#"'<>\s]/.test(raw)) {
    r.fail('baseUrl', 'must not have a query, a fragment, quotes or spaces (the token is appended as a path segment)');
  } else {
    return url.href.replace(/\/+$/, '');
  }
  return '';
}

/** `unsubscribe` of an account or a template: an https base URL (RFC 8058 §3.1), an optional mailto address, a scope. */
export function readUnsubscribe(r: FieldReader): UnsubscribeConfig | null {
  const ur = r.child('unsubscribe', ['baseUrl', 'mailto', 'scope']);
  if (!ur) return null;
  const baseUrl = readBaseUrl(ur, ['https:'], 'https://relay.example/u', 'RFC 8058 §3.1');
  const mailto = ur.string('mailto', null);
  if (mailto !== null && (!ADDRESS_PATTERN.test(mailto) || /[?&%]/.test(mailto))) ur.fail('mailto', `must be a bare address like unsubscribe@relay.example, got ${JSON.stringify(mailto)}`);
  const scope = ur.oneOf('scope', ['account', 'tag'] as const, 'account');
  return { baseUrl, mailto, scope };
}

/** `tracking` of an account: opens, clicks (default false), the http(s) base URL of the public listener, per-tag overrides. */
export function readTracking(r: FieldReader): TrackingConfig | null {
  const tr = r.child('tracking', ['opens', 'clicks', 'baseUrl', 'tags']);
  if (!tr) return null;
  const baseUrl = readBaseUrl(tr, ['https:', 'http:'], 'https://t.relay.example', null);
  const tags = readTrackingTags(tr);
  return { opens: tr.bool('opens', false), clicks: tr.bool('clicks', false), baseUrl, tags };
}

export const TRACKING_OVERRIDE_FIELDS = ['opens', 'clicks', 'baseUrl'] as const;
const OVERRIDE_FIELDS = TRACKING_OVERRIDE_FIELDS;

/** `tracking` of a template, or one tag's entry: every field optional, each one set wins over the level below. */
export function readTrackingOverride(r: FieldReader): TrackingOverride {
  const opens = r.has('opens') ? r.bool('opens', false) : null;
  const clicks = r.has('clicks') ? r.bool('clicks', false) : null;
  const baseUrl = r.has('baseUrl') ? readBaseUrl(r, ['https:', 'http:'], 'https://t.relay.example', null) || null : null;
  return { opens, clicks, baseUrl };
}

/** `tracking.tags` of an account: tag (as messages carry it, lower-case) -> override. */
function readTrackingTags(tr: FieldReader): Record<string, TrackingOverride> {
  const out: Record<string, TrackingOverride> = Object.create(null) as Record<string, TrackingOverride>;
  const v = tr.obj['tags'];
  if (v === undefined || v === null) return out;
  if (!isPlainObject(v)) {
    tr.fail('tags', `must be an object of tag -> { opens?, clicks?, baseUrl? }, got ${typeName(v)}`);
    return out;
  }
  for (const [tag, value] of Object.entries(v)) {
    const p = pathOf(tr.at('tags'), tag);
    if (!TAG_PATTERN.test(tag)) {
      tr.issues.push({ path: p, message: 'a tag must match [a-z0-9._-]{1,64} (tags are lower-case, as messages carry them)' });
      continue;
    }
    const r = FieldReader.of(tr.issues, p, value, OVERRIDE_FIELDS);
    if (r) out[tag] = readTrackingOverride(r);
  }
  return out;
}

/**
 * Every template's and tag's tracking needs a base URL from some level: its own, or the account's. Reported at the
 * template's (or tag's) `tracking` when opens or clicks end up on without one.
 */
function checkTrackingBase(ar: FieldReader, account: Pick<AccountConfig, 'tracking' | 'templates'>): void {
  const accountBase = account.tracking?.baseUrl || null;
  for (const [name, t] of Object.entries(account.templates)) {
    const o = t.tracking;
    if (o === null || (o.opens !== true && o.clicks !== true) || o.baseUrl !== null || accountBase !== null) continue;
    ar.issues.push({ path: pathOf(pathOf(ar.at('templates'), name), 'tracking'), message: 'needs a baseUrl: the account has no tracking.baseUrl to fall back on' });
  }
}

/** The path of the first account, tag or template whose messages may be tracked (they need $.publicHttp), or null. */
export function firstTracked(accounts: readonly AccountConfig[]): string | null {
  for (let i = 0; i < accounts.length; i++) {
    const a = accounts[i]!;
    const on = (o: { opens: boolean | null; clicks: boolean | null } | null): boolean => o !== null && (o.opens === true || o.clicks === true);
    if (on(a.tracking) || Object.values(a.tracking?.tags ?? {}).some(on)) return `$.accounts[${i}].tracking`;
    for (const [name, t] of Object.entries(a.templates)) if (on(t.tracking)) return pathOf(pathOf(`$.accounts[${i}].templates`, name), 'tracking');
  }
  return null;
}

/** `publicHttp.tracking`: how long tracking records live (days), and what flags a fetch as a machine's (ranges, window). */
export function readPublicTracking(pr: FieldReader): PublicTrackingConfig {
  const tr = pr.child('tracking', ['recordDays', 'machineRanges', 'builtInMachineRanges', 'machineWindowSeconds']);
  if (!tr) return { recordDays: DEFAULT_TRACKING_RECORD_DAYS, machineRanges: [], builtInMachineRanges: true, machineWindowSeconds: 10 };
  const recordDays = tr.int('recordDays', 1, 36500, DEFAULT_TRACKING_RECORD_DAYS);
  const machineRanges = tr.stringArray('machineRanges', checkAddressOrCidr) ?? [];
  const machineWindowSeconds = tr.int('machineWindowSeconds', 0, 3600, 10);
  return { recordDays, machineRanges, builtInMachineRanges: tr.bool('builtInMachineRanges', true), machineWindowSeconds };
}

/** How long a tracking record (and so its links) lives by default: about six months, as mail is read late. */
export const DEFAULT_TRACKING_RECORD_DAYS = 180;

function readTemplate(tr: FieldReader, baseDir: string): TemplateConfig | null {
  let html = tr.string('html', null);
  let htmlFile = tr.string('htmlFile', null);
  if (html !== null && htmlFile !== null) tr.fail('htmlFile', 'must not be set together with html (choose one)');
  else if (html === null && htmlFile === null && !tr.has('html') && !tr.has('htmlFile')) tr.fail('html', 'is required (or htmlFile)');
  if (htmlFile !== null) {
    htmlFile = resolve(baseDir, htmlFile);
    try {
      html = readFileSync(htmlFile, 'utf8');
    } catch (err) {
      tr.fail('htmlFile', `cannot read ${htmlFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const tag = tr.string('tag', null);
  if (tag !== null && !TAG_PATTERN.test(tag)) tr.fail('tag', `must match [a-z0-9._-]{1,64}, got ${JSON.stringify(tag)}`);
  const subject = tr.string('subject', null);
  const from = tr.string('from', null);
  const replyTo = tr.string('replyTo', null);
  if (html === null) return null;
  const unsubscribe = readUnsubscribe(tr);
  const trr = tr.child('tracking', OVERRIDE_FIELDS);
  const tracking = trr ? readTrackingOverride(trr) : null;
  return { html, htmlFile, subject, from, replyTo, tag, unsubscribe, tracking };
}

function readNamedMap<T>(r: FieldReader, key: string, what: string, read: (child: FieldReader) => T | null, allowed: readonly string[] | null): Record<string, T> {
  const out: Record<string, T> = Object.create(null) as Record<string, T>;
  const v = r.obj[key];
  if (v === undefined || v === null) return out;
  if (!isPlainObject(v)) {
    r.fail(key, `must be an object of ${what} by name, got ${typeName(v)}`);
    return out;
  }
  for (const [name, value] of Object.entries(v)) {
    const p = pathOf(r.at(key), name);
    if (!NAME_PATTERN.test(name)) {
      r.issues.push({ path: p, message: `${what} name must match [A-Za-z0-9._-]{1,64}` });
      continue;
    }
    if (!isPlainObject(value)) {
      r.issues.push({ path: p, message: `must be an object, got ${typeName(value)}` });
      continue;
    }
    // Routes check their own keys per type, so they pass allowed = null here.
    const child = allowed ? new FieldReader(r.issues, p, value, allowed) : new FieldReader(r.issues, p, value, Object.keys(value));
    const item = read(child);
    if (item !== null) out[name] = item;
  }
  return out;
}

function readAccount(ar: FieldReader, baseDir: string, relayRetention: RetentionConfig | null): AccountConfig {
  const id = ar.string('id') ?? '';
  if (id && !NAME_PATTERN.test(id)) ar.fail('id', `must match [A-Za-z0-9._-]{1,64}, got ${JSON.stringify(id)}`);
  const name = ar.string('name', id);
  const apiKeys =
    ar.stringArray('apiKeys', (s) =>
      API_KEY_HASH_PATTERN.test(s)
        ? null
        : s.startsWith('txr_')
          ? 'is an API key, not its hash: store "sha256:<hex>" (txrelay keygen prints both)'
          : 'must be "sha256:" followed by 64 lower-case hex digits',
    ) ?? [];
  if (!ar.has('apiKeys')) ar.fail('apiKeys', 'is required (an array of "sha256:<hex>" key hashes)');
  const routes = readNamedMap(ar, 'routes', 'route', (rr) => readRoute(rr, baseDir), null);
  if (!ar.has('routes')) ar.fail('routes', 'is required (at least one route)');
  else if (Object.keys(routes).length === 0 && isPlainObject(ar.obj['routes']) && Object.keys(ar.obj['routes']).length === 0) ar.fail('routes', 'must define at least one route');
  const defaultRoute = ar.string('defaultRoute', null);
  if (defaultRoute !== null && isPlainObject(ar.obj['routes']) && !(defaultRoute in (ar.obj['routes'] as object))) {
    ar.fail('defaultRoute', `names no route of this account: ${JSON.stringify(defaultRoute)} (routes: ${Object.keys(ar.obj['routes'] as object).join(', ') || 'none'})`);
  }
  const templates = readNamedMap(ar, 'templates', 'template', (tr) => readTemplate(tr, baseDir), ['html', 'htmlFile', 'subject', 'from', 'replyTo', 'tag', 'unsubscribe', 'tracking']);
  const rate: RateConfig = { perSecond: null, perDay: null };
  const rr = ar.child('rate', ['perSecond', 'perDay']);
  if (rr) {
    rate.perSecond = rr.positiveNumber('perSecond');
    rate.perDay = rr.has('perDay') ? rr.int('perDay', 1, MAX_INT, 1) : null;
  }
  const senderDomains = ar.stringArray('senderDomains', (s) => (DOMAIN_PATTERN.test(s.toLowerCase()) ? null : `must be a domain name, got ${JSON.stringify(s)}`));
  const dkim = readDkimKeys(ar, baseDir);
  const unsubscribe = readUnsubscribe(ar);
  const tracking = readTracking(ar);
  checkTrackingBase(ar, { tracking, templates });
  const webhooks = readWebhooks(ar, baseDir);
  const own = readRetention(ar);
  const retention = own === undefined ? relayRetention : own;
  return { id, name, apiKeys, routes, defaultRoute, templates, rate, senderDomains: senderDomains?.map((d) => d.toLowerCase()) ?? null, dkim, unsubscribe, tracking, webhooks, retention };
}

/** The accounts; `relayRetention` is the top-level retention, in effect for each account without its own. */
export function readAccounts(r: FieldReader, baseDir: string, relayRetention: RetentionConfig | null = null): AccountConfig[] {
  const raw = r.obj['accounts'];
  if (raw === undefined || raw === null) {
    r.fail('accounts', 'is required (at least one account)');
    return [];
  }
  if (!Array.isArray(raw)) {
    r.fail('accounts', `must be an array, got ${typeName(raw)}`);
    return [];
  }
  if (raw.length === 0) r.fail('accounts', 'must list at least one account');
  const out: AccountConfig[] = [];
  const ids = new Map<string, number>();
  const keys = new Map<string, string>();
  const allowed = ['id', 'name', 'apiKeys', 'routes', 'defaultRoute', 'templates', 'rate', 'senderDomains', 'dkim', 'unsubscribe', 'tracking', 'webhooks', 'retention'];
  raw.forEach((item: unknown, i) => {
    const ar = FieldReader.of(r.issues, pathOf(r.at('accounts'), i), item, allowed);
    if (!ar) return;
    const account = readAccount(ar, baseDir, relayRetention);
    if (account.id) {
      if (ids.has(account.id)) ar.fail('id', `duplicate account id ${JSON.stringify(account.id)} (also $.accounts[${ids.get(account.id)}])`);
      else ids.set(account.id, i);
    }
    account.apiKeys.forEach((hash, k) => {
      const where = `${ar.path}.apiKeys[${k}]`;
      const other = keys.get(hash);
      if (other !== undefined) r.issues.push({ path: where, message: `duplicate API key hash (also ${other}); a key must identify one account` });
      else keys.set(hash, where);
    });
    out.push(account);
  });
  return out;
}
