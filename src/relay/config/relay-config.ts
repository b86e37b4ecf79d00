// The relay's JSON configuration: its types, the validator that reports every problem at once, and `check-config`.
// validateConfig applies every default, so consumers read complete objects and never re-check a field.
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { DEFAULTS as ENGINE_DEFAULTS, type LineEndings } from '../../protocol/index.js';
import { DEFAULT_LIMITS as DEFAULT_TEMPLATE_LIMITS, type TemplateLimits } from '../template/options.js';

// ---------------------------------------------------------------- types

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type RouteTlsMode = 'required' | 'opportunistic' | 'none';

export interface ListenerConfig {
  port: number;
  /** Address to bind; default "0.0.0.0". */
  host: string;
  /** Allow AUTH before STARTTLS (e.g. a loopback listener); default false (538 5.7.11). */
  authBeforeTls: boolean;
  /** Accept the PROXY protocol (v1/v2) from these addresses or CIDR ranges only; null = PROXY not accepted. */
  proxyProtocol: { trusted: string[] } | null;
  /** Bare LF in DATA/BDAT: "normalize" (default, Postfix 3.9) ends a line; "strict" refuses it (SPEC §2). */
  lineEndings: LineEndings;
}

export interface TlsConfig {
  /** Absolute paths of the PEM certificate chain and key; both null = self-signed certificate in dataDir/tls. */
  cert: string | null;
  key: string | null;
}

/** The template sandbox limits: the engine's own type, so names and defaults cannot drift apart. */
export type TemplateLimitsConfig = TemplateLimits;

export interface LimitsConfig {
  maxMessageSize: number;
  maxLineLength: number;
  maxRecipients: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxBadCommands: number;
  maxAuthFailures: number;
  maxAuthFailuresPerAddressPerMinute: number;
  /** Delay before a failed AUTH's reply, growing with each failure of the session; 0 = none. */
  authFailureDelayMs: number;
  commandTimeoutMs: number;
  /** 0 = no data-rate check. */
  minDataRateBytesPerSec: number;
  /** The data rate is checked only after DATA has run this long. */
  dataRateGraceMs: number;
  sessionDeadlineMs: number;
  /** Wait before the greeting, to catch early talkers; 0 = none. */
  greetingDelayMs: number;
  shutdownGraceMs: number;
  maxHeaderBytes: number;
  maxHeaders: number;
  maxDepth: number;
  maxParts: number;
  maxHtmlBytes: number;
  maxVariablesBytes: number;
  maxTagsPerAccount: number;
  template: TemplateLimitsConfig;
}

export interface FileRouteConfig {
  type: 'file';
  /** Absolute folder the .eml files are written into (relative paths resolve against the config file's folder). */
  path: string;
}

export interface SmtpRouteConfig {
  type: 'smtp';
  host: string;
  port: number;
  tls: RouteTlsMode;
  /** Verify the smarthost's certificate; default true. */
  verifyCertificate: boolean;
  /** Absolute path of a PEM CA bundle to trust instead of the system's; null = system roots. */
  caFile: string | null;
  /** AUTH credentials; both null = no AUTH. */
  username: string | null;
  password: string | null;
  poolSize: number;
  maxMessagesPerConnection: number;
  /** MAIL FROM used upstream; null = the message's own From address. */
  envelopeFrom: string | null;
}

export type RouteConfig = FileRouteConfig | SmtpRouteConfig;

export interface TemplateConfig {
  /** The template's HTML (from `html`, or the contents of `htmlFile`). */
  html: string;
  /** Absolute path the HTML was loaded from, or null when given inline. */
  htmlFile: string | null;
  subject: string | null;
  from: string | null;
  replyTo: string | null;
  tag: string | null;
}

export interface RateConfig {
  /** Messages per second (token bucket); null = unlimited. */
  perSecond: number | null;
  /** Messages per UTC day; null = unlimited. */
  perDay: number | null;
}

export interface AccountConfig {
  id: string;
  name: string;
  /** "sha256:<64 hex>" hashes of the account's API keys (see api-key.ts). */
  apiKeys: string[];
  routes: Record<string, RouteConfig>;
  /** As configured; null when absent (the policy then uses the only route, or requires X-Transactional-Route). */
  defaultRoute: string | null;
  templates: Record<string, TemplateConfig>;
  rate: RateConfig;
  /** Lower-cased domains a From address must belong to; null = any sender domain. */
  senderDomains: string[] | null;
}

export interface AdminConfig {
  host: string;
  port: number;
  token: string;
}

export interface QueueConfig {
  maxAgeMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Spool bounds: past either, enqueue fails with SpoolFullError (451 4.3.0). */
  maxPendingBytes: number;
  maxPendingMessages: number;
  /** Accept and spool, but deliver nothing until hold is turned off (SIGHUP) — Postfix's hold queue. */
  hold: boolean;
}

export interface RelayConfig {
  /** Name used in the greeting and the self-signed certificate; default os.hostname(). */
  hostname: string;
  listeners: ListenerConfig[];
  tls: TlsConfig;
  limits: LimitsConfig;
  /** Absolute data folder (spool, tls, events); default "data" next to the config file. */
  dataDir: string;
  logLevel: LogLevel;
  admin: AdminConfig | null;
  queue: QueueConfig;
  textOnly: 'reject' | 'wrap';
  accounts: AccountConfig[];
}

export interface ConfigIssue {
  /** JSON path of the offending field, e.g. "$.accounts[0].routes.main.port". */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`invalid configuration ${source}:\n` + issues.map((i) => `  ${i.path}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

// ---------------------------------------------------------------- defaults

const KiB = 1024;
const MiB = 1024 * KiB;

// The SMTP limits default to the engine's own defaults and the template limits to the template engine's: one
// source each, so the relay and `SmtpServer` used alone behave the same.
export const DEFAULT_LIMITS: Readonly<LimitsConfig> = Object.freeze({
  ...ENGINE_DEFAULTS,
  maxHeaderBytes: 64 * KiB,
  maxHeaders: 500,
  maxDepth: 20,
  maxParts: 500,
  maxHtmlBytes: 2 * MiB,
  maxVariablesBytes: 64 * KiB,
  maxTagsPerAccount: 400,
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

export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const TAG_PATTERN = /^[a-z0-9._-]{1,64}$/;
export const API_KEY_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;
const DOMAIN_PATTERN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const ADDRESS_PATTERN = /^[^\s@<>"]+@[^\s@<>"]+$/;
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MAX_INT = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------- field reader

function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the fields of one JSON object, recording an issue for each wrong field and returning its default instead. */
class FieldReader {
  constructor(
    readonly issues: ConfigIssue[],
    readonly path: string,
    readonly obj: Record<string, unknown>,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) issues.push({ path: pathOf(path, key), message: `unknown field (allowed: ${allowed.join(', ')})` });
    }
  }

  /** Creates a reader for `value`, or records "must be an object" and returns null. */
  static of(issues: ConfigIssue[], path: string, value: unknown, allowed: readonly string[]): FieldReader | null {
    if (!isPlainObject(value)) {
      issues.push({ path, message: `must be an object, got ${typeName(value)}` });
      return null;
    }
    return new FieldReader(issues, path, value, allowed);
  }

  at(key: string): string {
    return pathOf(this.path, key);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  fail(key: string, message: string): void {
    this.issues.push({ path: this.at(key), message });
  }

  private missing(key: string): void {
    this.fail(key, 'is required');
  }

  /** A string; `fallback` undefined means required. Null in the file counts as absent. */
  string(key: string, fallback: string): string;
  string(key: string, fallback: string | null): string | null;
  string(key: string): string | null;
  string(key: string, fallback?: string | null): string | null {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.missing(key);
      return fallback ?? null;
    }
    if (typeof v !== 'string') {
      this.fail(key, `must be a string, got ${typeName(v)}`);
      return fallback ?? null;
    }
    if (v.length === 0) {
      this.fail(key, 'must not be empty');
      return fallback ?? null;
    }
    return v;
  }

  /** An integer in [min, max]; `fallback` undefined means required. */
  int(key: string, min: number, max: number, fallback?: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.missing(key);
      return fallback ?? min;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.fail(key, `must be an integer, got ${typeof v === 'number' ? v : typeName(v)}`);
      return fallback ?? min;
    }
    if (v < min || v > max) {
      this.fail(key, `must be between ${min} and ${max}, got ${v}`);
      return fallback ?? min;
    }
    return v;
  }

  /** A positive number (not necessarily an integer), or null when absent. */
  positiveNumber(key: string): number | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      this.fail(key, `must be a number greater than 0, got ${typeof v === 'number' ? v : typeName(v)}`);
      return null;
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.fail(key, `must be true or false, got ${typeName(v)}`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback?: T): T {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.missing(key);
      return fallback ?? values[0]!;
    }
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`);
      return fallback ?? values[0]!;
    }
    return v as T;
  }

  /** An array of strings, each checked by `check` (returns a reason, or null when fine); null when absent. */
  stringArray(key: string, check: (s: string) => string | null): string[] | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v)) {
      this.fail(key, `must be an array of strings, got ${typeName(v)}`);
      return null;
    }
    const out: string[] = [];
    v.forEach((item: unknown, i) => {
      const p = pathOf(this.at(key), i);
      if (typeof item !== 'string') this.issues.push({ path: p, message: `must be a string, got ${typeName(item)}` });
      else {
        const reason = check(item);
        if (reason) this.issues.push({ path: p, message: reason });
        else out.push(item);
      }
    });
    return out;
  }

  child(key: string, allowed: readonly string[]): FieldReader | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    return FieldReader.of(this.issues, this.at(key), v, allowed);
  }
}

// ---------------------------------------------------------------- section readers

function readableFile(path: string): string | null {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path} is not a regular file`;
    closeSync(openSync(path, 'r'));
    return null;
  } catch (err) {
    return `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

function isHostName(s: string): boolean {
  return isIP(s) !== 0 || DOMAIN_PATTERN.test(s.toLowerCase());
}

function checkAddressOrCidr(s: string): string | null {
  const [addr, prefix, extra] = s.split('/');
  const family = isIP(addr ?? '');
  if (family === 0 || extra !== undefined) return `must be an IP address or CIDR range, got ${JSON.stringify(s)}`;
  if (prefix !== undefined) {
    const n = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
    if (n < 0 || n > (family === 4 ? 32 : 128)) return `has an invalid prefix length in ${JSON.stringify(s)}`;
  }
  return null;
}

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

export function defaultListener(port: number): ListenerConfig {
  return { port, host: '0.0.0.0', authBeforeTls: false, proxyProtocol: null, lineEndings: 'normalize' };
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

/** Limits where 0 means "off" rather than "nothing allowed". */
const ZERO_ALLOWED: ReadonlySet<string> = new Set(['authFailureDelayMs', 'minDataRateBytesPerSec', 'dataRateGraceMs', 'greetingDelayMs']);

function readLimits(r: FieldReader): LimitsConfig {
  const d = DEFAULT_LIMITS;
  const names = Object.keys(d).filter((k) => k !== 'template') as Exclude<keyof LimitsConfig, 'template'>[];
  const lr = r.child('limits', [...names, 'template']);
  const out = { ...d, template: { ...d.template } } as LimitsConfig;
  if (!lr) return out;
  for (const name of names) out[name] = lr.int(name, ZERO_ALLOWED.has(name) ? 0 : 1, MAX_INT, d[name]);
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
  const ar = r.child('admin', ['host', 'port', 'token']);
  if (!ar) return null;
  const host = ar.string('host', '127.0.0.1');
  if (isIP(host) === 0 && host !== 'localhost') ar.fail('host', `must be an IP address or "localhost", got ${JSON.stringify(host)}`);
  const port = ar.int('port', 0, 65535);
  // Absent: the relay uses (and creates once) <dataDir>/admin-token.
  const token = ar.string('token', '');
  if (token && token.length < 16) ar.fail('token', 'must be at least 16 characters (it guards the admin API)');
  return { host, port, token };
}

function readRoute(rr: FieldReader, baseDir: string): RouteConfig | null {
  const type = rr.obj['type'];
  if (type === 'file') {
    new FieldReader(rr.issues, rr.path, rr.obj, ['type', 'path']); // reports unknown fields
    const p = rr.string('path');
    if (p === null) return null;
    const abs = resolve(baseDir, p);
    try {
      if (!statSync(abs).isDirectory()) rr.fail('path', `${abs} exists and is not a folder`);
    } catch {
      // A missing folder is created by RouteFile at start.
    }
    return { type: 'file', path: abs };
  }
  if (type === 'smtp') {
    const allowed = ['type', 'host', 'port', 'tls', 'verifyCertificate', 'caFile', 'username', 'password', 'poolSize', 'maxMessagesPerConnection', 'envelopeFrom'];
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
    return { type: 'smtp', host, port, tls, verifyCertificate, caFile, username, password, poolSize, maxMessagesPerConnection, envelopeFrom };
  }
  rr.fail('type', type === undefined ? 'is required ("file" or "smtp")' : `must be "file" or "smtp", got ${JSON.stringify(type)}`);
  return null;
}

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
  return { html, htmlFile, subject, from, replyTo, tag };
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

function readAccount(ar: FieldReader, baseDir: string): AccountConfig {
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
  const templates = readNamedMap(ar, 'templates', 'template', (tr) => readTemplate(tr, baseDir), ['html', 'htmlFile', 'subject', 'from', 'replyTo', 'tag']);
  const rate: RateConfig = { perSecond: null, perDay: null };
  const rr = ar.child('rate', ['perSecond', 'perDay']);
  if (rr) {
    rate.perSecond = rr.positiveNumber('perSecond');
    rate.perDay = rr.has('perDay') ? rr.int('perDay', 1, MAX_INT, 1) : null;
  }
  const senderDomains = ar.stringArray('senderDomains', (s) => (DOMAIN_PATTERN.test(s.toLowerCase()) ? null : `must be a domain name, got ${JSON.stringify(s)}`));
  return { id, name, apiKeys, routes, defaultRoute, templates, rate, senderDomains: senderDomains?.map((d) => d.toLowerCase()) ?? null };
}

function readAccounts(r: FieldReader, baseDir: string): AccountConfig[] {
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
  const allowed = ['id', 'name', 'apiKeys', 'routes', 'defaultRoute', 'templates', 'rate', 'senderDomains'];
  raw.forEach((item: unknown, i) => {
    const ar = FieldReader.of(r.issues, pathOf(r.at('accounts'), i), item, allowed);
    if (!ar) return;
    const account = readAccount(ar, baseDir);
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

// ---------------------------------------------------------------- entry points

const TOP_LEVEL = ['hostname', 'listeners', 'tls', 'limits', 'dataDir', 'logLevel', 'admin', 'queue', 'textOnly', 'accounts'];

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
  const accounts = readAccounts(r, baseDir);
  if (issues.length > 0) return { errors: issues };
  return { config: { hostname, listeners, tls, limits, dataDir, logLevel, admin, queue, textOnly, accounts }, errors: [] };
}

/** Reads, parses and validates a configuration file; throws ConfigError listing every issue. */
export async function loadConfig(path: string): Promise<RelayConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(abs, [{ path: '$', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(abs, [{ path: '$', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const { config, errors } = validateConfig(json, dirname(abs));
  if (!config) throw new ConfigError(abs, errors);
  return config;
}

/** `txrelay check-config FILE`: prints "ok" or every issue; exit code 0 or 1. */
export async function checkConfigMain(argv: string[]): Promise<number> {
  const file = argv[0];
  if (file === undefined || argv.length > 1) {
    process.stderr.write('usage: txrelay check-config FILE\n');
    return 2;
  }
  try {
    await loadConfig(file);
    process.stdout.write('ok\n');
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stdout.write(err.message + '\n');
    return 1;
  }
}
