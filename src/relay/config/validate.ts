// validateConfig: checks a parsed configuration, applies every default and reports every issue at once.
// The server sections (listeners, tls, limits, queue, admin) are read here, the accounts in validate-accounts.ts.
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import type { ConfigIssue } from './config-error.js';
import { DEFAULT_LIMITS, DEFAULT_MESSAGE_LIMITS, DEFAULT_PORTS, DEFAULT_QUEUE, defaultListener } from './defaults.js';
import { FieldReader, pathOf, typeName } from './field-reader.js';
import { DOMAIN_PATTERN, MAX_INT, checkAddressOrCidr, isHostName, readableFile } from './formats.js';
import type { AccountConfig, AdminConfig, HttpApiConfig, InboundConfig, LimitsConfig, ListenerConfig, LogLevel, MessageLimitsConfig, PublicHttpConfig, QueueConfig, RelayConfig, StoreConfig, TemplateLimitsConfig, TlsConfig } from './schema.js';
import { SMTP_LIMIT_NAMES, SMTP_LIMITS_ZERO_MEANS_OFF } from './smtp-limits.js';
import { firstTracked, readAccounts, readPublicTracking } from './validate-accounts.js';
import { readRetention } from './validate-retention.js';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readListeners(r: FieldReader): ListenerConfig[] {
  const raw = r.obj['listeners'];
  if (raw === undefined || raw === null) return DEFAULT_PORTS.map((port) => defaultListener(port));
  if (!Array.isArray(raw)) {
    r.fail('listeners', `must be an array, got ${typeName(raw)}`);
    return [];
  }
  if (raw.length === 0) r.fail('listeners', 'must list at least one listener');
  const out: ListenerConfig[] = [];
  const indexOf: number[] = []; // position in the file of each listener in `out`
  raw.forEach((item: unknown, i) => {
    const lr = FieldReader.of(r.issues, pathOf(r.at('listeners'), i), item, ['port', 'host', 'authBeforeTls', 'proxyProtocol', 'lineEndings']);
    if (!lr) return;
    const port = lr.int('port', 0, 65535);
    const host = lr.string('host', '0.0.0.0');
    if (isIP(host) === 0 && host !== 'localhost') lr.fail('host', `must be an IP address or "localhost", got ${JSON.stringify(host)}`);
    // The same port on two specific addresses is fine; on the same address, or beside a wildcard, it cannot bind.
    const clash = out.findIndex((l) => port !== 0 && l.port === port && (l.host === host || isWildcard(l.host) || isWildcard(host)));
    if (clash >= 0) lr.fail('port', `duplicate port ${port} (also used by $.listeners[${indexOf[clash]}])`);
    let proxyProtocol: ListenerConfig['proxyProtocol'] = null;
    const pr = lr.child('proxyProtocol', ['trusted']);
    if (pr) {
      const trusted = pr.stringArray('trusted', checkAddressOrCidr);
      if (trusted === null) pr.fail('trusted', 'is required (the addresses allowed to send a PROXY header)');
      proxyProtocol = { trusted: trusted ?? [] };
    }
    const lineEndings = lr.oneOf('lineEndings', ['normalize', 'strict'] as const, 'normalize');
    out.push({ port, host, authBeforeTls: lr.bool('authBeforeTls', false), proxyProtocol, lineEndings });
    indexOf.push(i);
  });
  return out;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function readTls(r: FieldReader, baseDir: string): TlsConfig {
  const tr = r.child('tls', ['cert', 'key']);
  if (!tr) return { cert: null, key: null };
  const cert = tr.string('cert', null);
  const key = tr.string('key', null);
  if ((cert === null) !== (key === null)) {
    tr.fail(cert === null ? 'cert' : 'key', 'is required when the other of cert/key is set');
    return { cert: null, key: null };
  }
  const out: TlsConfig = { cert: cert === null ? null : resolve(baseDir, cert), key: key === null ? null : resolve(baseDir, key) };
  if (out.cert) {
    const reason = readableFile(out.cert);
    if (reason) tr.fail('cert', reason);
  }
  if (out.key) {
    const reason = readableFile(out.key);
    if (reason) tr.fail('key', reason);
  }
  return out;
}

function readLimits(r: FieldReader): LimitsConfig {
  const d = DEFAULT_LIMITS;
  const messageNames = Object.keys(DEFAULT_MESSAGE_LIMITS) as (keyof MessageLimitsConfig)[];
  const lr = r.child('limits', [...SMTP_LIMIT_NAMES, ...messageNames, 'template']);
  const out = { ...d, template: { ...d.template } } as LimitsConfig;
  if (!lr) return out;
  for (const name of SMTP_LIMIT_NAMES) out[name] = lr.int(name, SMTP_LIMITS_ZERO_MEANS_OFF.has(name) ? 0 : 1, MAX_INT, d[name]);
  for (const name of messageNames) out[name] = lr.int(name, 1, MAX_INT, d[name]);
  const tnames = Object.keys(d.template) as (keyof TemplateLimitsConfig)[];
  const tr = lr.child('template', tnames);
  if (tr) for (const name of tnames) out.template[name] = tr.int(name, 1, MAX_INT, d.template[name]);
  return out;
}

function readQueue(r: FieldReader): QueueConfig {
  const names = (Object.keys(DEFAULT_QUEUE) as (keyof QueueConfig)[]).filter((k) => k !== 'hold') as Exclude<keyof QueueConfig, 'hold'>[];
  const qr = r.child('queue', [...names, 'hold']);
  const out = { ...DEFAULT_QUEUE };
  if (!qr) return out;
  for (const name of names) out[name] = qr.int(name, 1, MAX_INT, DEFAULT_QUEUE[name]);
  out.hold = qr.bool('hold', false);
  if (out.retryMinMs > out.retryMaxMs) qr.fail('retryMinMs', `must not exceed retryMaxMs (${out.retryMaxMs})`);
  return out;
}

function readAdmin(r: FieldReader): AdminConfig | null {
  const ar = r.child('admin', ['host', 'port', 'token', 'metricsTopDestinations']);
  if (!ar) return null;
  const host = ar.string('host', '127.0.0.1');
  if (isIP(host) === 0 && host !== 'localhost') ar.fail('host', `must be an IP address or "localhost", got ${JSON.stringify(host)}`);
  const port = ar.int('port', 0, 65535);
  // Absent: the relay uses (and creates once) <dataDir>/admin-token.
  const token = ar.string('token', '');
  if (token && token.length < 16) ar.fail('token', 'must be at least 16 characters (it guards the admin API)');
  const metricsTopDestinations = ar.int('metricsTopDestinations', 0, 1000, 20);
  return { host, port, token, metricsTopDestinations };
}

/** `"inbound": { "port": 25, "host": "0.0.0.0", "domains": ["bounces.example.com"] }`; null when absent. */
function readInbound(r: FieldReader, listeners: ListenerConfig[], admin: AdminConfig | null): InboundConfig | null {
  const ir = r.child('inbound', ['port', 'host', 'domains']);
  if (!ir) return null;
  const port = ir.int('port', 0, 65535, 25);
  const host = ir.string('host', '0.0.0.0');
  if (isIP(host) === 0 && host !== 'localhost') ir.fail('host', `must be an IP address or "localhost", got ${JSON.stringify(host)}`);
  const domains = (ir.stringArray('domains', (s) => (DOMAIN_PATTERN.test(s.toLowerCase()) ? null : `must be a domain name, got ${JSON.stringify(s)}`)) ?? []).map((d) => d.toLowerCase());
  const raw = ir.obj['domains'];
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) ir.fail('domains', 'must list at least one domain (the returnPath domains whose MX points at this listener)');
  if (port !== 0) {
    const clash = listeners.findIndex((l) => l.port === port && (l.host === host || isWildcard(l.host) || isWildcard(host)));
    if (clash >= 0) ir.fail('port', `port ${port} is already used by $.listeners[${clash}]`);
    if (admin && admin.port === port) ir.fail('port', `port ${port} is already used by $.admin`);
  }
  return { port, host, domains };
}

/** The public HTTP listener (unsubscribe links); its secret, when given, is the links' HMAC key. */
function readPublicHttp(r: FieldReader): PublicHttpConfig | null {
  const pr = r.child('publicHttp', ['port', 'host', 'trustProxy', 'secret', 'tracking']);
  if (!pr) return null;
  const port = pr.int('port', 0, 65535);
  const host = pr.string('host', '0.0.0.0');
  if (isIP(host) === 0 && host !== 'localhost') pr.fail('host', `must be an IP address or "localhost", got ${JSON.stringify(host)}`);
  const trustProxy = pr.stringArray('trustProxy', checkAddressOrCidr) ?? [];
  // Absent: the relay uses (and creates once) <dataDir>/link-secret.
  const secret = pr.string('secret', null);
  if (secret !== null && secret.length < 32) pr.fail('secret', 'must be at least 32 characters (it signs the unsubscribe links)');
  return { port, host, trustProxy, secret, tracking: readPublicTracking(pr) };
}

/** `"httpApi": { "port": 8080, "host": "0.0.0.0", "tls": false, "trustProxy": [] }`; null when absent. */
function readHttpApi(r: FieldReader): HttpApiConfig | null {
  const hr = r.child('httpApi', ['port', 'host', 'tls', 'trustProxy']);
  if (!hr) return null;
  const port = hr.int('port', 0, 65535);
  const host = hr.string('host', '0.0.0.0');
  if (isIP(host) === 0 && host !== 'localhost') hr.fail('host', `must be an IP address or "localhost", got ${JSON.stringify(host)}`);
  const tls = hr.bool('tls', false);
  const trustProxy = hr.stringArray('trustProxy', checkAddressOrCidr) ?? [];
  return { port, host, tls, trustProxy };
}

/** The first port among the other listeners that `port` on `host` would collide with, as a path; or null. */
function portClash(port: number, host: string, others: readonly { path: string; port: number; host: string }[]): string | null {
  if (port === 0) return null;
  return others.find((o) => o.port === port && (o.host === host || isWildcard(o.host) || isWildcard(host)))?.path ?? null;
}

/** The first account or template with unsubscribe links, as a path, or null. */
function firstUnsubscribe(accounts: readonly AccountConfig[]): string | null {
  for (let i = 0; i < accounts.length; i++) {
    const a = accounts[i]!;
    if (a.unsubscribe) return `$.accounts[${i}].unsubscribe`;
    for (const [name, t] of Object.entries(a.templates)) if (t.unsubscribe) return `${pathOf(`$.accounts[${i}].templates`, name)}.unsubscribe`;
  }
  return null;
}

/** `"store": { "type": "local" }` (default) or `{ "type": "redis", "url": "redis://127.0.0.1:6379", "prefix": "txrelay:" }`. */
function readStore(r: FieldReader): StoreConfig {
  const sr = r.child('store', ['type', 'url', 'prefix']);
  if (!sr) return { type: 'local' };
  const type = sr.oneOf('type', ['local', 'redis'] as const, 'local');
  if (type === 'local') {
    for (const k of ['url', 'prefix']) if (sr.has(k)) sr.fail(k, 'applies to the redis store only');
    return { type };
  }
  const url = sr.string('url', null);
  if (url === null) sr.fail('url', 'is required for the redis store (e.g. "redis://127.0.0.1:6379")');
  else {
    let ok = false;
    try {
      const u = new URL(url);
      ok = (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) sr.fail('url', `must be a redis:// or rediss:// URL with a host, got ${JSON.stringify(url)}`);
  }
  const prefix = sr.string('prefix', 'txrelay:');
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(prefix)) sr.fail('prefix', `must be 1 to 64 of A-Z a-z 0-9 : . _ -, got ${JSON.stringify(prefix)}`);
  return { type, url: url ?? '', prefix };
}

const TOP_LEVEL = ['hostname', 'listeners', 'tls', 'limits', 'dataDir', 'logLevel', 'admin', 'queue', 'textOnly', 'publicHttp', 'httpApi', 'accounts', 'inbound', 'store', 'retention'];

/**
 * Checks a parsed configuration and applies every default. Relative paths resolve against `baseDir`
 * (the config file's folder); template htmlFile contents are read here. Returns every issue at once.
 */
export function validateConfig(json: unknown, baseDir: string): { config?: RelayConfig; errors: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const r = FieldReader.of(issues, '$', json, TOP_LEVEL);
  if (!r) return { errors: issues };
  const hostname = r.string('hostname', osHostname() || 'localhost');
  if (r.has('hostname') && !isHostName(hostname)) r.fail('hostname', `must be a host name or IP address, got ${JSON.stringify(hostname)}`);
  const listeners = readListeners(r);
  const tls = readTls(r, baseDir);
  const limits = readLimits(r);
  const dataDir = resolve(baseDir, r.string('dataDir', 'data'));
  const logLevel = r.oneOf('logLevel', LOG_LEVELS, 'info');
  const admin = readAdmin(r);
  if (admin && admin.port !== 0) {
    const clash = listeners.findIndex((l) => l.port === admin.port);
    if (clash >= 0) issues.push({ path: '$.admin.port', message: `port ${admin.port} is already used by $.listeners[${clash}]` });
  }
  const queue = readQueue(r);
  const textOnly = r.oneOf('textOnly', ['reject', 'wrap'] as const, 'reject');
  const publicHttp = readPublicHttp(r);
  if (publicHttp && publicHttp.port !== 0) {
    const clash = listeners.findIndex((l) => l.port === publicHttp.port);
    if (clash >= 0) issues.push({ path: '$.publicHttp.port', message: `port ${publicHttp.port} is already used by $.listeners[${clash}]` });
    else if (admin && admin.port === publicHttp.port) issues.push({ path: '$.publicHttp.port', message: `port ${publicHttp.port} is already used by $.admin (the public listener must not be the admin port)` });
  }
  const retention = readRetention(r) ?? null;
  const accounts = readAccounts(r, baseDir, retention);
  const inbound = readInbound(r, listeners, admin);
  const store = readStore(r);
  const httpApi = readHttpApi(r);
  if (httpApi) {
    const others = [
      ...listeners.map((l, i) => ({ path: `$.listeners[${i}]`, port: l.port, host: l.host })),
      ...(admin ? [{ path: '$.admin', port: admin.port, host: admin.host }] : []),
      ...(publicHttp ? [{ path: '$.publicHttp', port: publicHttp.port, host: publicHttp.host }] : []),
      ...(inbound ? [{ path: '$.inbound', port: inbound.port, host: inbound.host }] : []),
    ];
    const clash = portClash(httpApi.port, httpApi.host, others);
    if (clash !== null) issues.push({ path: '$.httpApi.port', message: `port ${httpApi.port} is already used by ${clash}` });
  }
  const unsubscribe = firstUnsubscribe(accounts);
  if (unsubscribe !== null && publicHttp === null) issues.push({ path: unsubscribe, message: 'needs $.publicHttp, the listener that answers the unsubscribe links' });
  const tracked = firstTracked(accounts);
  if (tracked !== null && publicHttp === null) issues.push({ path: tracked, message: 'needs $.publicHttp, the listener that answers the tracking links' });
  if (issues.length > 0) return { errors: issues };
  return { config: { hostname, listeners, tls, limits, dataDir, logLevel, admin, queue, textOnly, publicHttp, httpApi, accounts, inbound, store, retention }, errors: [] };
}
