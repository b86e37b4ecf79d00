// MTA-STS (RFC 8461): whether a domain asks for verified TLS to a listed MX, discovered in two steps.
//   1. `_mta-sts.<domain>` TXT: `v=STSv1; id=<1-32 alphanumerics>` (§3.1). No record: no policy.
//   2. `https://mta-sts.<domain>/.well-known/mta-sts.txt` (§3.3): fetched over verified HTTPS, no redirects,
//      at most 64 KB, within a timeout; `version: STSv1`, `mode: enforce|testing|none`, `mx: <pattern>`..., `max_age`.
// A policy is cached per domain for its max_age and refetched only when the TXT id changes (§5.1). The TXT answer
// itself is kept for `txtTtlMs` (node:dns gives no TXT TTL). When the TXT record exists but no policy can be
// fetched and none is cached, delivery goes on as if the domain had no policy (§3.3, §5.1): `kind: 'none'`.
import { request, type RequestOptions } from 'node:https';
import type { LookupFunction } from 'node:net';
import { TtlCache, type Clock } from './ttl-cache.js';

export type MtaStsMode = 'enforce' | 'testing' | 'none';

export interface MtaStsPolicy {
  mode: MtaStsMode;
  /** MX patterns, lower case: `mx.example.com` or `*.example.com` (§4.1). */
  mx: string[];
  /** Seconds, at most 31557600 (§3.2). */
  maxAge: number;
  /** The TXT record's id this policy was fetched under. */
  id: string;
}

export type MtaStsLookup =
  | { kind: 'policy'; policy: MtaStsPolicy }
  /** No policy applies: no TXT record, an invalid one, or a fetch that failed with nothing cached (reason says which). */
  | { kind: 'none'; reason: string };

/** Fetches the policy text of a domain; throws with a clear message on any failure. */
export type MtaStsFetch = (domain: string) => Promise<string>;

const MAX_AGE_LIMIT_S = 31_557_600;
const POLICY_MAX_BYTES = 64 * 1024;

/** The id of a `v=STSv1; id=...` record, or null when the TXT strings hold no valid one (§3.1). */
export function parseMtaStsRecord(txt: string[][]): string | null {
  const records = txt.map((chunks) => chunks.join('')).filter((s) => /^v=STSv1\s*(;|$)/.test(s));
  if (records.length !== 1) return null; // none, or several: "MUST NOT" be more than one (§3.1)
  for (const field of records[0]!.split(';')) {
    const m = /^\s*id=([A-Za-z0-9]{1,32})\s*$/.exec(field);
    if (m) return m[1]!;
  }
  return null;
}

/** Parses a policy body (§3.2); throws naming the problem. Unknown keys are ignored. */
export function parseMtaStsPolicy(text: string, id: string): MtaStsPolicy {
  let version: string | null = null;
  let mode: string | null = null;
  let maxAge: number | null = null;
  const mx: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'version') version = value;
    else if (key === 'mode') mode = value;
    else if (key === 'max_age') maxAge = /^[0-9]{1,10}$/.test(value) ? Number(value) : NaN;
    else if (key === 'mx') mx.push(value.toLowerCase().replace(/\.$/, ''));
  }
  if (version !== 'STSv1') throw new Error(`policy version is ${version === null ? 'missing' : JSON.stringify(version)}, not STSv1`);
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') throw new Error(`policy mode is ${mode === null ? 'missing' : JSON.stringify(mode)}`);
  if (maxAge === null || !(maxAge >= 0)) throw new Error('policy max_age is missing or not a number');
  if (mode !== 'none' && mx.length === 0) throw new Error(`policy mode ${mode} lists no mx`);
  return { mode, mx, maxAge: Math.min(maxAge, MAX_AGE_LIMIT_S), id };
}

/** Whether `host` matches one of the policy's mx patterns: exact, or `*.` standing for exactly one label (§4.1). */
export function mxAllowed(policy: MtaStsPolicy, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return policy.mx.some((pattern) => {
    if (!pattern.startsWith('*.')) return pattern === name;
    const dot = name.indexOf('.');
    return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
  });
}

export interface HttpsPolicyFetchOptions {
  /** Whole request, connect to last byte; default 10 s. */
  timeoutMs?: number;
  /** Trusted roots instead of the system's (tests: a private CA). */
  ca?: string | Buffer | (string | Buffer)[];
  /** Name resolution for mta-sts.<domain> (tests point it at 127.0.0.1). */
  lookup?: LookupFunction;
  /** Default 443 (tests use another). */
  port?: number;
}

/** The §3.3 fetch over node:https: verified certificate for mta-sts.<domain>, 200 only, text/plain, 64 KB at most. */
export function httpsPolicyFetch(options: HttpsPolicyFetchOptions = {}): MtaStsFetch {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return (domain) =>
    new Promise<string>((resolve, reject) => {
      const host = `mta-sts.${domain}`;
      const req: RequestOptions = { host, servername: host, port: options.port ?? 443, path: '/.well-known/mta-sts.txt', method: 'GET', agent: false };
      if (options.ca !== undefined) req.ca = options.ca;
      if (options.lookup !== undefined) req.lookup = options.lookup;
      const fail = (message: string): void => {
        clearTimeout(timer);
        reject(new Error(`MTA-STS policy of ${domain}: ${message}`));
        r.destroy();
      };
      const timer = setTimeout(() => fail(`no complete answer from ${host} within ${timeoutMs} ms`), timeoutMs);
      const r = request(req, (res) => {
        if (res.statusCode !== 200) return fail(`${host} answered HTTP ${res.statusCode} (redirects are not followed)`);
        const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'text/plain') return fail(`${host} answered Content-Type ${JSON.stringify(type)}, not text/plain`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > POLICY_MAX_BYTES) return fail(`the policy is larger than ${POLICY_MAX_BYTES} bytes`);
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', (err) => fail(err.message));
      });
      r.on('error', (err) => fail(`${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim()));
      r.end();
    });
}

export interface MtaStsResolverOptions {
  /** The TXT query (MxResolver.dns.resolveTxt, so the same DNS servers answer). */
  resolveTxt(name: string): Promise<string[][]>;
  /** Default: httpsPolicyFetch() with the system roots. */
  fetch?: MtaStsFetch;
  /** How long a TXT answer is kept; default 300 s. */
  txtTtlMs?: number;
  /** Policies and TXT answers kept; default 10,000 each. */
  maxEntries?: number;
  now?: Clock;
}

export class MtaStsResolver {
  private readonly resolveTxt: (name: string) => Promise<string[][]>;
  private readonly fetch: MtaStsFetch;
  private readonly txtTtlMs: number;
  /** The TXT id per domain (null: no valid record). */
  private readonly ids: TtlCache<string | null>;
  private readonly policies: TtlCache<MtaStsPolicy>;

  constructor(options: MtaStsResolverOptions) {
    this.resolveTxt = options.resolveTxt;
    this.fetch = options.fetch ?? httpsPolicyFetch();
    this.txtTtlMs = options.txtTtlMs ?? 300_000;
    const now = options.now ?? Date.now;
    this.ids = new TtlCache(options.maxEntries ?? 10_000, now);
    this.policies = new TtlCache(options.maxEntries ?? 10_000, now);
  }

  async policy(domain: string): Promise<MtaStsLookup> {
    const name = domain.toLowerCase().replace(/\.$/, '');
    const cached = this.policies.get(name);
    let id: string | null | undefined = this.ids.get(name);
    if (id === undefined) {
      try {
        id = parseMtaStsRecord(await this.resolveTxt(`_mta-sts.${name}`));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A failed TXT lookup keeps a cached policy in force (§5.1); without one there is no policy to apply.
        if (code !== 'ENODATA' && code !== 'ENOTFOUND') {
          return cached !== undefined ? { kind: 'policy', policy: cached } : { kind: 'none', reason: `TXT lookup of _mta-sts.${name} failed: ${code ?? (err as Error).message}` };
        }
        id = null;
      }
      this.ids.set(name, id, this.txtTtlMs);
    }
    // No record while a policy is cached: the domain may be removing MTA-STS, but the cached policy stands until max_age (§8.3).
    if (id === null) return cached !== undefined ? { kind: 'policy', policy: cached } : { kind: 'none', reason: `no valid _mta-sts.${name} TXT record` };
    if (cached !== undefined && cached.id === id) return { kind: 'policy', policy: cached };
    try {
      const policy = parseMtaStsPolicy(await this.fetch(name), id);
      this.policies.set(name, policy, policy.maxAge * 1000);
      return { kind: 'policy', policy };
    } catch (err) {
      if (cached !== undefined) return { kind: 'policy', policy: cached };
      return { kind: 'none', reason: (err as Error).message };
    }
  }
}
