// Where mail for a domain goes: its MX hosts in preference order, each with its addresses (RFC 5321 §5.1).
//
//   MX records            -> hosts by preference, shuffled among equal preference (a fresh order per call)
//   no MX record (NODATA) -> the domain's own A/AAAA: the implicit MX (RFC 5321 §5.1)
//   `0 .` (RFC 7505)      -> permanent 5.1.10: the domain accepts no mail
//   NXDOMAIN              -> permanent 5.1.2: the domain does not exist
//   timeout, SERVFAIL, REFUSED, unreachable server -> temporary 4.4.3 (defer; never cached)
//
// A destination is the sorted set of MX host names: domains served by the same hosts (gmail.com, googlemail.com)
// share one, and so share connections and pauses. An implicit MX's destination is the domain itself.
//
// Caching: node:dns gives TTLs for A/AAAA (`{ ttl: true }`) but not for MX (nor in resolveAny's MX entries), so
// an MX answer is kept for `mxTtlMs` (300 s by default) and addresses for their own TTL (capped by `maxTtlMs`).
// Answers that say "no" (NXDOMAIN, NODATA, null MX) are kept for `negativeTtlMs` (60 s): RFC 2308 would take the
// SOA minimum, which node:dns does not return either. Both caches are bounded by entry count (LRU).
import { promises as dns } from 'node:dns';
import type { MxRecord, RecordWithTtl } from 'node:dns';
import { TtlCache, type Clock } from './ttl-cache.js';

export type IpFamily = 'any' | 'ipv4' | 'ipv6';

export interface MxHost {
  /** Lower case, no trailing dot. */
  name: string;
  preference: number;
  /** IPv4 addresses first, then IPv6 (as `ipFamily` allows). Never empty: a host without addresses is left out. */
  addresses: string[];
}

export type MxResolution =
  | { kind: 'hosts'; destination: string; hosts: MxHost[] }
  | { kind: 'permanent'; status: string; reason: string }
  | { kind: 'temporary'; status: string; reason: string };

/** The queries the resolver makes: node:dns's promise Resolver has them; tests wrap it to count queries. */
export interface DnsQueries {
  resolveMx(name: string): Promise<MxRecord[]>;
  resolve4(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolveTxt(name: string): Promise<string[][]>;
}

export interface MxResolverOptions {
  /** DNS servers as "ip" or "ip:port" ("[::1]:53" for IPv6 with a port); default the system's. */
  dnsServers?: string[];
  ipFamily?: IpFamily;
  /** Per query attempt (c-ares doubles it on each retry); default 5 s. */
  timeoutMs?: number;
  /** Attempts per query; default 2. */
  tries?: number;
  /** How long an MX answer is kept (node:dns gives no MX TTL); default 300 s. */
  mxTtlMs?: number;
  /** How long a "no such domain / no such record / null MX" answer is kept; default 60 s. */
  negativeTtlMs?: number;
  /** Upper bound on any cached TTL; default 1 h. */
  maxTtlMs?: number;
  /** Entries per cache (MX answers; host addresses); default 10,000. */
  maxEntries?: number;
  /** In [0, 1); orders hosts of equal preference. Default Math.random. */
  random?: () => number;
  now?: Clock;
  /** Replaces the node:dns Resolver built from dnsServers/timeoutMs/tries. */
  queries?: DnsQueries;
}

/** What the MX query said, as cached (before shuffling and address lookups). */
type MxAnswer =
  | { kind: 'mx'; records: { name: string; preference: number }[] }
  | { kind: 'implicit' }
  | { kind: 'null-mx' }
  | { kind: 'nxdomain' };

/** A host's addresses, or why there are none. */
type AddressAnswer = { kind: 'addresses'; addresses: string[] } | { kind: 'none'; nxdomain: boolean } | { kind: 'temporary'; reason: string };

const TEMPORARY_STATUS = '4.4.3';

/** The resolver's own errors that mean "the name or the record does not exist" (the rest are temporary). */
const NXDOMAIN = new Set(['ENOTFOUND']);
const NODATA = new Set(['ENODATA']);

class DnsTemporaryError extends Error {}

export class MxResolver {
  private readonly queries: DnsQueries;
  private readonly ipFamily: IpFamily;
  private readonly mxTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxTtlMs: number;
  private readonly random: () => number;
  private readonly mxCache: TtlCache<MxAnswer>;
  private readonly addressCache: TtlCache<AddressAnswer>;
  /** Queries under way, so concurrent deliveries to one domain ask once. */
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(options: MxResolverOptions = {}) {
    this.queries = options.queries ?? makeResolver(options);
    this.ipFamily = options.ipFamily ?? 'any';
    this.mxTtlMs = options.mxTtlMs ?? 300_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 60_000;
    this.maxTtlMs = options.maxTtlMs ?? 3_600_000;
    this.random = options.random ?? Math.random;
    const now = options.now ?? Date.now;
    const maxEntries = options.maxEntries ?? 10_000;
    this.mxCache = new TtlCache(maxEntries, now);
    this.addressCache = new TtlCache(maxEntries, now);
  }

  /** The queries this resolver makes (the MTA-STS TXT lookup shares them). */
  get dns(): DnsQueries {
    return this.queries;
  }

  async resolve(domain: string): Promise<MxResolution> {
    const name = normalize(domain);
    let answer: MxAnswer;
    try {
      answer = await this.once(`mx:${name}`, () => this.mxAnswer(name));
    } catch (err) {
      return temporary(`MX lookup for ${name} failed: ${describe(err)}`);
    }
    switch (answer.kind) {
      case 'nxdomain':
        return { kind: 'permanent', status: '5.1.2', reason: `domain not found: ${name} does not exist (NXDOMAIN)` };
      case 'null-mx':
        return { kind: 'permanent', status: '5.1.10', reason: `${name} accepts no mail (null MX, RFC 7505)` };
      case 'implicit': {
        const a = await this.addresses(name);
        if (a.kind === 'addresses') return { kind: 'hosts', destination: name, hosts: [{ name, preference: 0, addresses: a.addresses }] };
        if (a.kind === 'temporary') return temporary(`${name} has no MX; address lookup failed: ${a.reason}`);
        if (a.nxdomain) return { kind: 'permanent', status: '5.1.2', reason: `domain not found: ${name} does not exist (NXDOMAIN)` };
        return { kind: 'permanent', status: '5.4.4', reason: `${name} has no MX and no ${this.familyLabel()} address` };
      }
      case 'mx':
        return this.hostsOf(name, answer.records);
    }
  }

  /** Every host's addresses; hosts without any are left out. Fails only when no host has an address. */
  private async hostsOf(domain: string, records: { name: string; preference: number }[]): Promise<MxResolution> {
    const destination = records.map((r) => r.name).sort().join(',');
    const ordered = this.shuffleEqualPreference(records);
    const answers = await Promise.all(ordered.map((r) => this.addresses(r.name)));
    const hosts: MxHost[] = [];
    const problems: string[] = [];
    let anyTemporary = false;
    answers.forEach((a, i) => {
      const r = ordered[i]!;
      if (a.kind === 'addresses') {
        hosts.push({ name: r.name, preference: r.preference, addresses: a.addresses });
      } else if (a.kind === 'temporary') {
        anyTemporary = true;
        problems.push(`${r.name}: ${a.reason}`);
      } else {
        problems.push(`${r.name}: ${a.nxdomain ? 'not found' : `no ${this.familyLabel()} address`}`);
      }
    });
    if (hosts.length > 0) return { kind: 'hosts', destination, hosts };
    const reason = `no MX host of ${domain} has an address (${problems.join('; ')})`;
    return anyTemporary ? temporary(reason) : { kind: 'permanent', status: '5.4.4', reason };
  }

  private async mxAnswer(name: string): Promise<MxAnswer> {
    const cached = this.mxCache.get(name);
    if (cached !== undefined) return cached;
    let answer: MxAnswer;
    try {
      const records = await this.queries.resolveMx(name);
      answer = mxRecords(records);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NXDOMAIN.has(code)) answer = { kind: 'nxdomain' };
      else if (NODATA.has(code)) answer = { kind: 'implicit' };
      else throw new DnsTemporaryError(describe(err));
    }
    this.mxCache.set(name, answer, answer.kind === 'mx' ? Math.min(this.mxTtlMs, this.maxTtlMs) : this.negativeTtlMs);
    return answer;
  }

  /** The host's addresses per ipFamily, cached for the shortest TTL among them. */
  private addresses(host: string): Promise<AddressAnswer> {
    const key = `${this.ipFamily}:${host}`;
    const cached = this.addressCache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.once(`a:${key}`, async () => {
      const families: (4 | 6)[] = this.ipFamily === 'ipv4' ? [4] : this.ipFamily === 'ipv6' ? [6] : [4, 6];
      const results = await Promise.all(families.map((f) => this.addressesOfFamily(host, f)));
      const addresses = results.flatMap((r) => (Array.isArray(r) ? r.map((x) => x.address) : []));
      let answer: AddressAnswer;
      if (addresses.length > 0) {
        const ttlS = Math.min(...results.flatMap((r) => (Array.isArray(r) ? r.map((x) => x.ttl) : [])));
        answer = { kind: 'addresses', addresses };
        this.addressCache.set(key, answer, Math.min(ttlS * 1000, this.maxTtlMs));
        return answer;
      }
      const failure = results.find((r): r is DnsTemporaryError => r instanceof DnsTemporaryError);
      if (failure !== undefined) return { kind: 'temporary', reason: failure.message }; // not cached
      answer = { kind: 'none', nxdomain: results.every((r) => r === 'nxdomain') };
      this.addressCache.set(key, answer, this.negativeTtlMs);
      return answer;
    });
  }

  private async addressesOfFamily(host: string, family: 4 | 6): Promise<RecordWithTtl[] | 'nxdomain' | 'nodata' | DnsTemporaryError> {
    try {
      return family === 4 ? await this.queries.resolve4(host, { ttl: true }) : await this.queries.resolve6(host, { ttl: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NXDOMAIN.has(code)) return 'nxdomain';
      if (NODATA.has(code)) return 'nodata';
      return new DnsTemporaryError(`${family === 4 ? 'A' : 'AAAA'} lookup failed: ${describe(err)}`);
    }
  }

  /** Preference order; a Fisher-Yates shuffle inside each run of equal preference (RFC 5321 §5.1). */
  private shuffleEqualPreference(records: { name: string; preference: number }[]): { name: string; preference: number }[] {
    const out = [...records].sort((a, b) => a.preference - b.preference || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (let start = 0; start < out.length; ) {
      let end = start + 1;
      while (end < out.length && out[end]!.preference === out[start]!.preference) end++;
      for (let i = end - 1; i > start; i--) {
        const j = start + Math.floor(this.random() * (i - start + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      start = end;
    }
    return out;
  }

  private once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key);
    if (running !== undefined) return running as Promise<T>;
    const p = run().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private familyLabel(): string {
    return this.ipFamily === 'ipv4' ? 'A' : this.ipFamily === 'ipv6' ? 'AAAA' : 'A or AAAA';
  }
}

/** The MX answer: a lone `0 .` is a null MX; a null entry beside real ones is ignored (RFC 7505 §3 forbids it). */
function mxRecords(records: MxRecord[]): MxAnswer {
  const seen = new Set<string>();
  const real: { name: string; preference: number }[] = [];
  for (const r of records) {
    const name = normalize(r.exchange);
    if (name === '' || seen.has(name)) continue;
    seen.add(name);
    real.push({ name, preference: r.priority });
  }
  if (real.length > 0) return { kind: 'mx', records: real };
  return records.length > 0 ? { kind: 'null-mx' } : { kind: 'implicit' };
}

function makeResolver(options: MxResolverOptions): DnsQueries {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 5_000, tries: options.tries ?? 2 });
  if (options.dnsServers !== undefined && options.dnsServers.length > 0) resolver.setServers(options.dnsServers);
  return resolver;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function temporary(reason: string): MxResolution {
  return { kind: 'temporary', status: TEMPORARY_STATUS, reason };
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.code}` : e.message;
}
