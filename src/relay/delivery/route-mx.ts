// The `mx` route: delivers each recipient to the MX hosts of its domain (issue 15; docs/delivery.md "The mx route").
//
//   recipients by domain -> MxResolver: permanent (5.1.10 null MX, 5.1.2 NXDOMAIN, 5.4.4) fails, temporary defers
//                        -> MTA-STS (enforce: only matching MX hosts, verified TLS; testing: logged only)
//                        -> the destination (the set of MX hosts): paused? defer at once
//                        -> one pooled connection per domain group, one transaction per recipient (each has its own .eml)
//
// Opening a connection walks the MX hosts in order, each of their addresses in turn: a connection failure, a
// greeting other than 220 (4xx or 5xx: Postfix's smtp_skip_5xx_greeting) or a failed EHLO moves on to the next.
// Each connection binds the next source address of `localAddresses` of the MX address's family (LocalAddressPool);
// an MX address of a family the pool lacks is skipped, never reached from the system's choice of address.
// A TLS failure in `opportunistic` mode is retried on the same address in plain text first (as Postfix does); in
// `verify` mode (and under MTA-STS enforce) TLS and certificate failures move on and, when every host failed, defer.
// Outcomes of transactions as the smtp route's (smtp-outcome.ts).
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import {
  ConnectionClosedError,
  ConnectionFailedError,
  SmtpClient,
  SmtpTimeoutError,
  TlsHandshakeError,
  type ClientTlsMode,
  type SmtpClientTimeouts,
} from '../../protocol/index.js';
import type { MxRouteConfig } from '../config/index.js';
import {
  Destination,
  DestinationPausedError,
  LocalAddressPool,
  MtaStsResolver,
  MxResolver,
  httpsPolicyFetch,
  mxAllowed,
  type DestinationConnection,
  type DestinationState,
  type DnsQueries,
  type MtaStsPolicy,
  type MxHost,
  type MxResolverOptions,
} from './mx/index.js';
import type { OutboundMessage, OutboundRecipient, RecipientOutcome, ReturnPathOf, Route } from './route.js';
import { outcomeOfError, outcomeOfReply } from './smtp-outcome.js';

export interface RouteMxOptions {
  /** EHLO name when the route sets no `helo`; default os.hostname() (the factory passes config.hostname). */
  clientName?: string;
  /** RFC 5321 timeouts by default (connect: the route's connectTimeoutMs); tests make them small. */
  timeouts?: Partial<SmtpClientTimeouts>;
  /** Idle connections are closed after this long; default 30 s. */
  idleTimeoutMs?: number;
  /** A destination's first pause; default 60 s, doubling per pause in a row. */
  pauseMinMs?: number;
  /** Default 30 min. */
  pauseMaxMs?: number;
  /** 4xx replies in a row that pause a destination; default 10. */
  pauseAfterDeferrals?: number;
  /** MX hosts' addresses tried per connection, over all hosts; default 5 (Postfix's smtp_mx_address_limit). */
  maxAddressesPerAttempt?: number;
  /** Overrides for the resolver built from the route's dnsServers/ipFamily (tests: short DNS timeouts). */
  resolver?: Partial<MxResolverOptions>;
  /** Replaces the MTA-STS resolver (tests: a policy served without HTTPS). */
  mtaSts?: MtaStsResolver;
  /** Port of the MTA-STS policy hosts; default 443 (tests serve the policy on another). */
  mtaStsPort?: number;
  logger?: Logger;
  now?: () => number;
  /** VERP: each recipient's envelope sender (the route's returnPath); null = the message's. */
  returnPath?: ReturnPathOf | null;
}

/** Where one domain's recipients go, once DNS and MTA-STS have spoken. */
interface DomainPlan {
  destination: Destination;
  hosts: MxHost[];
  /** MTA-STS enforce: verified TLS to a host the policy names. */
  enforce: boolean;
}

/** Errors of a session set-up that come from TLS: opportunistic mode retries them in plain text. */
function isTlsFailure(err: unknown): boolean {
  return err instanceof TlsHandshakeError || (err instanceof SmtpTimeoutError && err.stage === 'TLS handshake');
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at < 0 || at === address.length - 1 ? null : address.slice(at + 1).toLowerCase();
}

/** Name resolution through the route's DNS queries, for the MTA-STS policy fetch (mta-sts.<domain>). */
function lookupVia(queries: DnsQueries): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: unknown, family?: number) => void) => {
    const v4 = queries.resolve4(hostname, { ttl: true }).catch(() => []);
    const v6 = queries.resolve6(hostname, { ttl: true }).catch(() => []);
    void Promise.all([v4, v6]).then(([a, aaaa]) => {
      const addresses = [...a, ...aaaa].map((r) => ({ address: r.address, family: isIP(r.address) }));
      if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), null);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as LookupFunction;
}

export class RouteMx implements Route {
  readonly type = 'mx';
  readonly name: string;
  private readonly config: MxRouteConfig;
  private readonly options: RouteMxOptions;
  private readonly resolver: MxResolver;
  private readonly mtaSts: MtaStsResolver | null;
  private readonly destinationsByName = new Map<string, Destination>();
  private readonly localAddresses: LocalAddressPool;
  private readonly now: () => number;
  private ca: Promise<Buffer | null> | null = null;
  private closed = false;

  constructor(name: string, config: MxRouteConfig, options: RouteMxOptions = {}) {
    this.name = name;
    this.config = config;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.localAddresses = new LocalAddressPool(config.localAddresses);
    this.resolver = new MxResolver({
      ...(config.dnsServers === null ? {} : { dnsServers: config.dnsServers }),
      ipFamily: config.ipFamily,
      ...options.resolver,
    });
    const dns = this.resolver.dns;
    const fetchOptions = {
      ...(config.dnsServers === null ? {} : { lookup: lookupVia(dns) }),
      ...(options.mtaStsPort === undefined ? {} : { port: options.mtaStsPort }),
    };
    this.mtaSts = !config.mtaSts
      ? null
      : (options.mtaSts ??
        new MtaStsResolver({
          resolveTxt: (n) => dns.resolveTxt(n),
          // The policy host's certificate is checked against the same roots as the MX hosts' (caFile, if set).
          fetch: async (domain) => {
            const ca = await this.caOf();
            return httpsPolicyFetch(ca === null ? fetchOptions : { ...fetchOptions, ca })(domain);
          },
        }));
  }

  /** Per destination: deliveries waiting for a connection, connections, the last error, the pause (for /api/queue). */
  destinations(): DestinationState[] {
    return [...this.destinationsByName.values()].map((d) => d.state());
  }

  async deliver(msg: OutboundMessage): Promise<RecipientOutcome[]> {
    if (this.closed) return msg.recipients.map((r) => ({ recipient: r.address, status: 'deferred', reply: `route ${this.name} is closed` }));
    const byDomain = new Map<string, OutboundRecipient[]>();
    const outcomes = new Map<OutboundRecipient, RecipientOutcome>();
    for (const r of msg.recipients) {
      const domain = domainOf(r.address);
      if (domain === null) {
        outcomes.set(r, { recipient: r.address, status: 'failed', reply: `refused locally: ${r.address} has no domain`, hardBounce: false });
        continue;
      }
      const group = byDomain.get(domain);
      if (group) group.push(r);
      else byDomain.set(domain, [r]);
    }
    await Promise.all(
      [...byDomain].map(async ([domain, recipients]) => {
        const results = await this.deliverToDomain(domain, this.senderOf(msg), recipients);
        recipients.forEach((r, i) => outcomes.set(r, results[i]!));
      }),
    );
    return msg.recipients.map((r) => outcomes.get(r)!);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.destinationsByName.values()].map((d) => d.close()));
  }

  /** Each recipient's envelope sender: its VERP address with a returnPath, else the message's. */
  private senderOf(msg: OutboundMessage): (r: OutboundRecipient) => string {
    const returnPath = this.options.returnPath ?? null;
    if (returnPath === null) return () => msg.from;
    return (r) => returnPath(msg.id, r.index ?? msg.recipients.indexOf(r));
  }

  private async deliverToDomain(domain: string, from: (r: OutboundRecipient) => string, recipients: OutboundRecipient[]): Promise<RecipientOutcome[]> {
    const all = (status: 'failed' | 'deferred', reply: string, hardBounce?: boolean): RecipientOutcome[] =>
      recipients.map((r) => ({ recipient: r.address, status, reply, ...(hardBounce === undefined ? {} : { hardBounce }) }));
    const plan = await this.plan(domain);
    if ('status' in plan) return all(plan.status, plan.reply, plan.hardBounce).map((o) => (plan.destination === undefined ? o : { ...o, destination: plan.destination }));
    const out: RecipientOutcome[] = [];
    let held: DestinationConnection | null = null;
    try {
      for (const r of recipients) {
        // A pause (a 4xx burst on this very connection, or another delivery's 421) stops the group here too.
        const pause = plan.destination.pauseError();
        if (pause) {
          if (held) plan.destination.release(held);
          held = null;
          out.push({ recipient: r.address, status: 'deferred', reply: `451 4.4.5 ${pause.message}`, destination: plan.destination.name });
          continue;
        }
        // One connection for the group; a new one when it broke or carried its maximum.
        if (held && (!held.client.usable || held.client.transactions >= this.config.maxMessagesPerConnection)) {
          plan.destination.release(held);
          held = null;
        }
        const result = await this.sendOne(plan, held, from(r), r);
        held = result.held;
        out.push({ ...result.outcome, destination: plan.destination.name });
      }
    } finally {
      if (held) plan.destination.release(held);
    }
    return out;
  }

  /** DNS, MTA-STS and the destination's pause for one domain: where to go, or the outcome for every recipient. */
  private async plan(domain: string): Promise<DomainPlan | { status: 'failed' | 'deferred'; reply: string; hardBounce?: boolean; destination?: string }> {
    const res = await this.resolver.resolve(domain);
    if (res.kind === 'permanent') {
      return { status: 'failed', reply: `550 ${res.status} ${res.reason}`, hardBounce: res.status === '5.1.10' || res.status === '5.1.2' };
    }
    if (res.kind === 'temporary') return { status: 'deferred', reply: `451 ${res.status} ${res.reason}` };
    let hosts = res.hosts;
    let enforce = false;
    const policy = this.mtaSts ? await this.mtaSts.policy(domain) : null;
    if (policy?.kind === 'policy' && policy.policy.mode !== 'none') {
      const matching = hosts.filter((h) => mxAllowed(policy.policy, h.name));
      if (policy.policy.mode === 'enforce') {
        if (matching.length === 0) return { status: 'deferred', reply: `451 4.7.5 MTA-STS policy of ${domain} (enforce) allows none of its MX hosts (${res.destination})` };
        hosts = matching;
        enforce = true;
      } else if (matching.length < hosts.length) {
        this.reportTesting(domain, policy.policy, hosts.filter((h) => !matching.includes(h)).map((h) => h.name));
      }
    }
    const destination = this.destinationOf(res.destination);
    const pause = destination.pauseError();
    if (pause) return { status: 'deferred', reply: `451 4.4.5 ${pause.message}`, destination: destination.name };
    return { destination, hosts, enforce };
  }

  /**
   * One recipient's transaction on the held connection or a new one. A reused connection found dead before the body
   * was written is replaced once (the server closed it while idle).
   */
  private async sendOne(
    plan: DomainPlan,
    held: DestinationConnection | null,
    from: string,
    r: OutboundRecipient,
  ): Promise<{ held: DestinationConnection | null; outcome: RecipientOutcome }> {
    const dest = plan.destination;
    for (let attempt = 0; ; attempt++) {
      let conn = held;
      let reused = held !== null;
      held = null;
      if (!conn) {
        try {
          ({ conn, reused } = await dest.acquire(() => this.open(plan), plan.enforce));
        } catch (err) {
          if (err instanceof DestinationPausedError) return { held: null, outcome: { recipient: r.address, status: 'deferred', reply: `451 4.4.5 ${err.message}` } };
          const message = (err as Error).message;
          dest.recordError(message, err instanceof NoMxHostError);
          return { held: null, outcome: { recipient: r.address, status: 'deferred', reply: message } };
        }
      }
      try {
        const result = await conn.client.send({ from, to: [r.address] }, r.body);
        const d = result.recipients[0]!;
        if (d.accepted) dest.recordDelivered();
        else if (d.reply.code < 500) dest.recordDeferred(`${d.reply.code} ${d.reply.lines.join(' / ')}`, d.reply.code);
        return { held: conn, outcome: outcomeOfReply(r.address, d) };
      } catch (err) {
        dest.release(conn);
        const stale = err instanceof ConnectionClosedError || err instanceof ConnectionFailedError;
        if (reused && attempt === 0 && stale && !conn.client.bodyWritten) continue;
        dest.recordError((err as Error).message, false);
        return { held: null, outcome: outcomeOfError(r.address, err) };
      }
    }
  }

  /** Walks the MX hosts (each address in turn, at most maxAddressesPerAttempt) until one session opens. */
  private async open(plan: DomainPlan): Promise<DestinationConnection> {
    const verify = plan.enforce || this.config.tls === 'verify';
    const tls: ClientTlsMode = verify ? 'required' : this.config.tls === 'none' ? 'none' : 'opportunistic';
    const ca = verify ? await this.caOf() : null;
    const limit = this.options.maxAddressesPerAttempt ?? 5;
    const failures: string[] = [];
    let attempts = 0;
    for (const host of plan.hosts) {
      for (const address of host.addresses) {
        if (attempts >= limit) break;
        const local = this.localAddresses.next(address);
        if ('error' in local) {
          failures.push(`${host.name}[${address}]: ${local.error}`);
          continue;
        }
        attempts++;
        const { localAddress } = local;
        try {
          return { client: await this.connect(host.name, address, localAddress, tls, verify, ca), verified: verify };
        } catch (err) {
          if (tls === 'opportunistic' && isTlsFailure(err)) {
            try {
              const client = await this.connect(host.name, address, localAddress, 'none', false, null);
              this.options.logger?.info({ route: this.name, host: host.name, address, error: (err as Error).message }, 'STARTTLS failed; delivered in plain text');
              return { client, verified: false };
            } catch (plainErr) {
              err = plainErr;
            }
          }
          failures.push(`${host.name}[${address}]: ${(err as Error).message}`);
        }
      }
    }
    throw new NoMxHostError(plan.destination.name, failures);
  }

  private connect(hostName: string, address: string, localAddress: string | null, tls: ClientTlsMode, verify: boolean, ca: Buffer | null): Promise<SmtpClient> {
    const clientName = this.config.helo ?? this.options.clientName;
    return SmtpClient.connect({
      host: address,
      port: this.config.port,
      localAddress,
      tls,
      verifyCertificate: verify,
      ca,
      // The certificate is checked against the MX name, not the address we connect to (and it is our SNI).
      servername: hostName,
      ...(clientName === undefined ? {} : { clientName }),
      timeouts: { connectMs: this.config.connectTimeoutMs, ...this.options.timeouts },
    });
  }

  private caOf(): Promise<Buffer | null> {
    const file = this.config.caFile;
    if (file === null) return Promise.resolve(null);
    this.ca ??= readFile(file);
    this.ca.catch(() => (this.ca = null));
    return this.ca;
  }

  private destinationOf(name: string): Destination {
    let d = this.destinationsByName.get(name);
    if (d) return d;
    // Forget destinations with nothing open, waiting or paused once there are many (bounded memory).
    if (this.destinationsByName.size >= 1000) for (const [k, v] of this.destinationsByName) if (v.unused) this.destinationsByName.delete(k);
    d = new Destination(name, {
      maxConnections: this.config.maxConnectionsPerDestination,
      maxMessagesPerConnection: this.config.maxMessagesPerConnection,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 30_000,
      pauseMinMs: this.options.pauseMinMs ?? 60_000,
      pauseMaxMs: this.options.pauseMaxMs ?? 1_800_000,
      pauseAfterDeferrals: this.options.pauseAfterDeferrals ?? 10,
      now: this.now,
    });
    this.destinationsByName.set(name, d);
    return d;
  }

  private reportTesting(domain: string, policy: MtaStsPolicy, hosts: string[]): void {
    this.options.logger?.warn({ route: this.name, domain, policyId: policy.id, hosts }, 'MTA-STS policy (testing) does not list these MX hosts; delivering anyway');
  }
}

/** No MX host of a destination took a session: every address tried failed. */
class NoMxHostError extends Error {
  constructor(destination: string, failures: string[]) {
    super(`no MX host of ${destination} took the connection: ${failures.join('; ')}`);
    this.name = 'NoMxHostError';
  }
}
