// `txrelay [--config FILE] [--data DIR]`: starts the relay (embedded default configuration without --config).
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { SmtpServer, type SmtpServerOptions } from '../protocol/index.js';
import { ApiKeyIndex } from './accept/api-key.js';
import { MessageAcceptor } from './accept/message-acceptor.js';
import { SmtpBackend, type RelayRuntime } from './accept/smtp-backend.js';
import type { AcceptDeps } from './accept/queue-message.js';
import { ensureCertificate } from './tls/certificate.js';
import { ConfigError, loadConfig, smtpLimitsOf, type ListenerConfig, type RelayConfig } from './config/index.js';
import { embeddedDefaultConfig, type EmbeddedDefaultPorts } from './config-default.js';
import { DeliveryScheduler } from './delivery/scheduler.js';
import { EventLog } from './storage/event-log.js';
import { AdminServer } from './admin/admin-server.js';
import { ensureAdminToken } from './admin/admin-token.js';
import { EventRecorder } from './admin/event-recorder.js';
import { firstUnready, probeWritable, storeReadiness } from './admin/readiness.js';
import { RelayMetrics, spoolDepthOf } from './admin/relay-metrics.js';
import { queueReport } from './admin/queue.js';
import { TagStats } from './admin/stats.js';
import { createRoute } from './delivery/route-factory.js';
import type { Route } from './delivery/route.js';
import { Spool } from './storage/spool/index.js';
import { lockDataFolder } from './storage/data-lock.js';
import { createLogger, logFormatOf } from './cli/logger.js';
import { startBanner } from './cli/start-banner.js';
import { openStore, type RuntimeStore, type SuppressionStore } from './store/index.js';
import { VerpSigner } from './feedback/verp-address.js';
import { ensureVerpSecret } from './storage/verp-secret.js';
import { InboundBackend } from './inbound/inbound-backend.js';
import { ReportOutcomes } from './inbound/report-outcomes.js';
import { SentRecipients } from './inbound/sent-recipients.js';
import { DkimSigner } from './dkim/index.js';
import { PublicHttpServer, type PublicRoute } from './public-http/index.js';
import { UnsubscribeTokens, ensureLinkSecret, unsubscribeRoute } from './unsubscribe/index.js';
import { MachineRanges, RecordSweeper, TrackingStore, TrackingTokens, trackingRoutes } from './tracking/index.js';
import { WebhookDispatcher } from './webhooks/index.js';
import { RecentMessages } from './admin/message-activity-index.js';
import { MessageActivity } from './admin/message-activity.js';
import { messageContentSource } from './admin/message-activity-content.js';
import { RetentionStore } from './storage/retention.js';
import { HttpApiServer, IdempotencyStore } from './http-api/index.js';

interface CliOptions {
  configPath: string | null;
  dataDir: string | null;
  /** `--ports` and `--admin-port`: the embedded default's ports (0 = any free port). */
  ports: EmbeddedDefaultPorts;
}

const USAGE = 'usage: txrelay [--config relay.json] [--data DIR] [--ports 2525,8025] [--admin-port 9025]';

function portNumber(text: string): number | null {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : null;
}

function parseArgs(argv: string[]): CliOptions | string {
  const out: CliOptions = { configPath: null, dataDir: null, ports: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = argv[i + 1];
    if ((a === '--config' || a === '-c') && value !== undefined) {
      out.configPath = value;
      i++;
    } else if (a === '--data' && value !== undefined) {
      out.dataDir = value;
      i++;
    } else if (a === '--ports' && value !== undefined) {
      const ports = value.split(',').map(portNumber);
      if (ports.some((p) => p === null)) return `--ports takes port numbers separated by commas, got "${value}"`;
      out.ports.smtp = ports as number[];
      i++;
    } else if (a === '--admin-port' && value !== undefined) {
      const port = portNumber(value);
      if (port === null) return `--admin-port takes a port number, got "${value}"`;
      out.ports.admin = port;
      i++;
    } else return `unknown or incomplete argument "${a}"`;
  }
  // A configuration file names its own listeners and admin port; two sources for one port would be a trap.
  if (out.configPath !== null && (out.ports.smtp !== undefined || out.ports.admin !== undefined)) {
    return '--ports and --admin-port apply to the embedded default; with --config set listeners[].port and admin.port';
  }
  return out;
}

async function readConfiguration(cli: CliOptions): Promise<{ config: RelayConfig; demoKey: string | null; demoKeyCreated: boolean }> {
  if (cli.configPath === null) {
    const d = await embeddedDefaultConfig(resolve(cli.dataDir ?? 'data'), cli.ports);
    return { config: d.config, demoKey: d.demoKey, demoKeyCreated: d.demoKeyCreated };
  }
  const config = await loadConfig(cli.configPath);
  if (cli.dataDir !== null) config.dataDir = resolve(cli.dataDir);
  return { config, demoKey: null, demoKeyCreated: false };
}

async function tlsOf(config: RelayConfig, logger: Logger): Promise<{ key: string; cert: string }> {
  if (config.tls.cert !== null && config.tls.key !== null) {
    return { cert: await readFile(config.tls.cert, 'utf8'), key: await readFile(config.tls.key, 'utf8') };
  }
  const c = await ensureCertificate(config.dataDir, config.hostname);
  if (c.created) logger.warn({ dir: join(config.dataDir, 'tls') }, 'no certificate configured: created a self-signed one');
  else logger.warn({ dir: join(config.dataDir, 'tls') }, 'no certificate configured: using the self-signed one');
  return { key: c.key, cert: c.cert };
}

function serverOptions(config: RelayConfig, listener: ListenerConfig, tls: { key: string; cert: string }, logger: Logger): SmtpServerOptions {
  return {
    hostname: config.hostname,
    tls,
    authBeforeTls: listener.authBeforeTls,
    lineEndings: listener.lineEndings,
    ...smtpLimitsOf(config.limits),
    proxyProtocol: listener.proxyProtocol ?? undefined,
    logger,
  };
}

/** One signer for every account's DKIM keys (each key owned by its account), or null when no account has one. */
function buildDkimSigner(config: RelayConfig): DkimSigner | null {
  const keys = config.accounts.flatMap((a) =>
    a.dkim.map((k) => ({ domain: k.domain, selector: k.selector, algorithm: k.algorithm, privateKeyPem: readFileSync(k.privateKeyFile, 'utf8'), owner: a.id })),
  );
  return keys.length === 0 ? null : new DkimSigner({ keys });
}

/** Signatures in flight when a reload replaces the signer finish on the old one; its workers stop after this. */
const RETIRED_SIGNER_GRACE_MS = 30_000;

function runtimeOf(config: RelayConfig, store: RuntimeStore, generation: number, unsubscribe: UnsubscribeTokens | null, tracking: TrackingTokens | null): RelayRuntime {
  return {
    config,
    keys: new ApiKeyIndex(config.accounts, store.apiKeys),
    acceptor: new MessageAcceptor(config, store.tags, generation, unsubscribe, tracking, store.templates),
    dkim: buildDkimSigner(config),
  };
}

/** One Route object per (account, route name); rebuilt on reload. */
function buildRoutes(config: RelayConfig, logger: Logger, signer: VerpSigner | null): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const account of config.accounts) {
    for (const [name, rc] of Object.entries(account.routes)) {
      const key = `${account.id}\u0000${name}`;
      routes.set(key, createRoute(name, rc, { clientName: config.hostname, logger, ...(signer ? { returnPathSigner: signer } : {}) }));
    }
  }
  return routes;
}

/** VERP is in use: a route sets a returnPath, or the inbound listener reads reports. */
function usesVerp(config: RelayConfig): boolean {
  return config.inbound !== null || config.accounts.some((a) => Object.values(a.routes).some((r) => r.returnPath));
}

/** The VERP signer with the data folder's secret (made at the first start that needs it); null when unused. */
async function verpSignerOf(config: RelayConfig, logger: Logger): Promise<VerpSigner | null> {
  if (!usesVerp(config)) return null;
  const s = await ensureVerpSecret(config.dataDir);
  if (s.created) logger.info({ path: s.path }, 'created the secret that signs VERP return paths');
  return new VerpSigner(s.secret);
}

/** The inbound listener's address as a listener configuration (no AUTH, no PROXY). */
function inboundListener(config: RelayConfig): ListenerConfig | null {
  const i = config.inbound;
  return i === null ? null : { port: i.port, host: i.host, authBeforeTls: false, proxyProtocol: null, lineEndings: 'normalize' };
}

export interface RunningRelay {
  readonly config: RelayConfig;
  /** Bound addresses, in listener order (failed listeners are absent). */
  readonly addresses: AddressInfo[];
  readonly spool: Spool;
  readonly events: EventLog;
  readonly suppression: SuppressionStore;
  /** Runtime state: keys and templates made through the API, suppressions, counters, tags. */
  readonly store: RuntimeStore;
  readonly metrics: RelayMetrics;
  /** The admin HTTP address, when the configuration has an admin section and its port could be bound. */
  readonly admin: AddressInfo | null;
  /** The inbound (bounces and complaints) listener's address, when configured and bound. */
  readonly inbound: AddressInfo | null;
  /** The public HTTP address (unsubscribe links), when the configuration has publicHttp and its port could be bound. */
  readonly publicHttp: AddressInfo | null;
  /** The HTTP send API's address, when the configuration has httpApi and its port could be bound. */
  readonly httpApi: AddressInfo | null;
  /** Replaces accounts, routes, templates and certificates; listeners and limits change at restart. */
  reload(next: RelayConfig): Promise<void>;
  /** Graceful shutdown (SPEC §2). */
  stop(): Promise<void>;
}

/** Starts listeners, spool and delivery for a validated configuration. Throws when no listener binds. */
export async function startRelay(initial: RelayConfig, logger: Logger): Promise<RunningRelay> {
  let config = initial;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const unlock = await lockDataFolder(config.dataDir);
  const tls = await tlsOf(config, logger).catch(async (err: unknown) => {
    await unlock();
    throw err;
  });
  // The links' key is read once: publicHttp (its listener and its secret) changes at restart, like the listeners.
  const publicHttpConfig = config.publicHttp;
  const linkSecret =
    publicHttpConfig === null
      ? null
      : (
          await ensureLinkSecret(config.dataDir, publicHttpConfig.secret).catch(async (err: unknown) => {
            await unlock();
            throw err;
          })
        ).secret;
  const unsubscribe = linkSecret === null ? null : new UnsubscribeTokens(linkSecret);
  // Tracking tokens share the link secret; their HMAC domain label keeps them apart from unsubscribe tokens.
  const trackingTokens = linkSecret === null ? null : new TrackingTokens(linkSecret);
  const trackingStore = new TrackingStore(config.dataDir);
  const spool = await Spool.open(join(config.dataDir, 'spool'), {
    maxPendingBytes: config.queue.maxPendingBytes,
    maxPendingMessages: config.queue.maxPendingMessages,
    // A held queue is never read while running: no point keeping new messages in memory for delivery.
    ...(config.queue.hold ? { readCacheBytes: 0 } : {}),
  });
  logger.info({ ...spool.recovery, pending: spool.stats().messages }, 'spool opened');
  const store = await openStore(config, logger).catch(async (err: unknown) => {
    await spool.close();
    await unlock();
    throw err;
  });
  const limits = store.limits;
  let generation = 1;
  let runtime = runtimeOf(config, store, generation, unsubscribe, trackingTokens);
  let signer = await verpSignerOf(config, logger).catch(async (err: unknown) => {
    await unlock();
    throw err;
  });
  let routes = buildRoutes(config, logger, signer);
  const eventLog = await EventLog.open(join(config.dataDir, 'events'));
  const suppression = store.suppressions;
  const metrics = new RelayMetrics({ spoolDepth: () => spoolDepthOf(spool), storeHealth: () => store.health(), ...(config.admin ? { topDestinations: config.admin.metricsTopDestinations } : {}) });
  const stats = new TagStats();
  // Every event goes to the log, the per-tag stats and the metrics; the stats start from the log's history.
  const recent = new RecentMessages();
  const events = new EventRecorder(eventLog, stats, metrics, recent);
  const rebuilt = await stats.rebuildFrom(eventLog);
  logger.info({ events: rebuilt }, 'stats rebuilt from the event log');

  // Webhooks follow the event log file; they never sit on the SMTP or delivery path. The file's endpoints and the
  // store's (management API) run together; a change in the store is applied within a second, on every relay.
  const webhooks = await WebhookDispatcher.start(config.accounts, { source: eventLog, dir: join(config.dataDir, 'webhooks'), logger, stored: store.webhooks });

  // Retention (off by default): copies of what was sent, kept per the running configuration's account setting.
  const retention = new RetentionStore(join(config.dataDir, 'retention'), { onSweepError: (err) => logger.error({ err: (err as Error).message }, 'retention sweep failed') });
  const retentionDays = (account: string): number | null => config.accounts.find((a) => a.id === account)?.retention?.days ?? null;
  const retain = async (entry: { id: string; account: string }, copies: { recipient: string; body: Buffer }[]): Promise<void> => {
    const days = retentionDays(entry.account);
    if (days !== null) await retention.keep(entry.id, copies, days);
  };
  const scheduler = new DeliveryScheduler({ spool, routeOf: (a, r) => routes.get(`${a}\u0000${r}`) ?? null, queue: config.queue, logger, events, suppression, retain });
  // One accept path for SMTP and the HTTP send API. queue.hold: accept and spool, deliver nothing until a reload turns it off.
  const accept: AcceptDeps = { runtime: () => runtime, spool, limits, logger, events, metrics, tracking: trackingStore, onQueued: (e) => {
    if (!config.queue.hold) scheduler.notify(e);
  } };
  const backend = new SmtpBackend(accept);

  const servers: SmtpServer[] = [];
  const addresses: AddressInfo[] = [];
  for (const listener of config.listeners) {
    const server = new SmtpServer(backend, { ...serverOptions(config, listener, tls, logger), observer: metrics });
    try {
      const addr = await server.listen(listener.port, listener.host);
      logger.info({ port: addr.port, host: addr.address }, 'listening');
      servers.push(server);
      addresses.push(addr);
    } catch (err) {
      logger.error({ port: listener.port, host: listener.host, err: (err as Error).message }, 'cannot listen on this port; continuing with the others');
    }
  }
  let inbound: { server: SmtpServer; address: AddressInfo } | null = null;
  const il = inboundListener(config);
  if (il !== null && signer !== null) {
    const outcomes = new ReportOutcomes({ recipients: new SentRecipients({ spool, events: eventLog }), suppression, events, logger });
    const verp = signer;
    const backend = new InboundBackend({ domains: () => config.inbound?.domains ?? [], signer: verp, outcomes, logger, observer: metrics });
    const server = new SmtpServer(backend, { ...serverOptions(config, il, tls, logger), observer: metrics });
    try {
      const address = await server.listen(il.port, il.host);
      logger.info({ port: address.port, host: address.address, domains: config.inbound?.domains }, 'inbound listening (bounces and complaints)');
      inbound = { server, address };
      servers.push(server);
    } catch (err) {
      logger.error({ port: il.port, host: il.host, err: (err as Error).message }, 'cannot listen on the inbound port; reports will not be read');
    }
  }
  if (addresses.length === 0) {
    await inbound?.server.close(0);
    await webhooks.stop();
    await spool.close();
    await eventLog.close();
    await store.close();
    await runtime.dkim?.close();
    await unlock();
    throw new Error('no listener could be bound');
  }
  let stopping = false;
  const admin = await startAdmin(config, logger, {
    metrics,
    stats,
    events: eventLog,
    suppressions: suppression,
    webhooks,
    messages: new MessageActivity({ events: eventLog, recent, content: messageContentSource({ retention, spool, retentionDays }) }),
    management: { store, config: () => config },
    accounts: () => config.accounts.map((a) => a.id),
    queue: () =>
      queueReport(
        [...routes].map(([key, r]) => ({ account: key.slice(0, key.indexOf('\u0000')), name: r.name, type: r.type, ...(r.destinations ? { destinations: () => r.destinations!() } : {}) })),
        spool.pending(),
      ),
    readiness: () =>
      firstUnready([
        () => (stopping ? { ready: false, reason: 'shutting down' } : { ready: true }),
        () => probeWritable(join(config.dataDir, 'spool')),
        () => storeReadiness(store.health()),
      ]),
  });
  const httpApi = await startHttpApi(config, logger, accept, tls);
  // Tracking records live publicHttp.tracking.recordDays; the sweeper removes older ones a bounded slice at a time.
  const recordMaxAgeMs = (publicHttpConfig?.tracking.recordDays ?? 0) * 86_400_000;
  const sweeper = publicHttpConfig === null ? null : new RecordSweeper({ store: trackingStore, maxAgeMs: recordMaxAgeMs, logger });
  const tracking = publicHttpConfig === null ? null : trackingRoutes({
    tokens: trackingTokens!, store: trackingStore, events, logger, recordMaxAgeMs, machineWindowMs: publicHttpConfig.tracking.machineWindowSeconds * 1000,
    machineRanges: new MachineRanges(publicHttpConfig.tracking.machineRanges, publicHttpConfig.tracking.builtInMachineRanges),
    observe: (endpoint, status, seconds) => metrics.trackingRequest(endpoint, status, seconds),
  });
  const publicHttp = unsubscribe === null ? null : await startPublicHttp(config, logger, unsubscribeRoute({ tokens: unsubscribe, suppression, events, logger }), tracking!);
  sweeper?.start();
  // Swept also when retention is off now: copies kept while it was on still expire.
  retention.start();
  if (config.queue.hold) logger.warn({ pending: spool.stats().messages }, 'queue.hold is on: messages are accepted and spooled but not delivered');
  else scheduler.resume();

  return {
    get config() {
      return config;
    },
    addresses,
    spool,
    events: eventLog,
    suppression,
    store,
    metrics,
    admin: admin?.address ?? null,
    inbound: inbound?.address ?? null,
    publicHttp: publicHttp?.address ?? null,
    httpApi: httpApi?.address ?? null,
    async reload(next: RelayConfig): Promise<void> {
      const nextTls = await tlsOf(next, logger);
      for (const s of servers) s.setTls(nextTls);
      httpApi?.server.setTls(nextTls);
      if (JSON.stringify(next.httpApi) !== JSON.stringify(config.httpApi)) logger.warn('httpApi changed: its listener changes at restart (keys, accounts and templates follow the reload now)');
      const oldRoutes = routes;
      const released = config.queue.hold && !next.queue.hold;
      generation++;
      const retired = runtime.dkim;
      if (unsubscribe === null && next.publicHttp !== null) logger.warn('publicHttp was added: unsubscribe links start after a restart');
      runtime = runtimeOf(next, store, generation, unsubscribe, trackingTokens);
      if (retired) setTimeout(() => void retired.close(), RETIRED_SIGNER_GRACE_MS).unref();
      signer ??= await verpSignerOf(next, logger);
      routes = buildRoutes(next, logger, signer);
      config = next;
      await webhooks.reload(next.accounts);
      for (const r of oldRoutes.values()) void r.close();
      if (released) scheduler.resume();
      logger.info({ generation, accounts: next.accounts.length, hold: next.queue.hold }, 'configuration reloaded (listeners and limits change at restart)');
    },
    async stop(): Promise<void> {
      stopping = true;
      await Promise.all([...servers.map((s) => s.close(config.limits.shutdownGraceMs)), httpApi?.server.close(config.limits.shutdownGraceMs)]);
      await scheduler.stop();
      await retention.stop();
      for (const r of routes.values()) await r.close();
      await runtime.dkim?.close();
      await admin?.server.close();
      await publicHttp?.server.close();
      await sweeper?.stop();
      await spool.close();
      await eventLog.flush();
      await webhooks.stop();
      await eventLog.close();
      await store.close();
      await httpApi?.idempotency.close();
      await unlock();
    },
  };
}

type AdminParts = Omit<ConstructorParameters<typeof AdminServer>[0], 'host' | 'port' | 'token' | 'logger'>;

/** The admin HTTP server, when configured. Its token comes from the configuration or <data>/admin-token. */
async function startAdmin(config: RelayConfig, logger: Logger, parts: AdminParts): Promise<{ server: AdminServer; address: AddressInfo } | null> {
  if (config.admin === null) return null;
  let token = config.admin.token;
  if (token === '') {
    const t = await ensureAdminToken(config.dataDir);
    token = t.token;
    logger.info({ tokenFile: t.path, created: t.created }, 'admin token not configured: using the one in the data folder');
  }
  const server = new AdminServer({ ...parts, host: config.admin.host, port: config.admin.port, token, logger });
  try {
    const address = await server.listen();
    logger.info({ host: address.address, port: address.port }, 'admin listening');
    return { server, address };
  } catch (err) {
    // The admin page is for operators; mail keeps flowing without it.
    logger.error({ host: config.admin.host, port: config.admin.port, err: (err as Error).message }, 'cannot start the admin HTTP server; SMTP continues');
    return null;
  }
}

/** The public HTTP listener (unsubscribe links), when configured; like the admin server, SMTP runs on without it. */
async function startPublicHttp(
  config: RelayConfig,
  logger: Logger,
  route: PublicRoute,
  tracking: { open: PublicRoute; click: PublicRoute },
): Promise<{ server: PublicHttpServer; address: AddressInfo } | null> {
  if (config.publicHttp === null) return null;
  const { host, port, trustProxy } = config.publicHttp;
  const server = new PublicHttpServer({ host, port, trustProxy, routes: new Map([['u', route], ['o', tracking.open], ['c', tracking.click]]), logger });
  try {
    const address = await server.listen();
    logger.info({ host: address.address, port: address.port }, 'public HTTP listening (unsubscribe and tracking links)');
    return { server, address };
  } catch (err) {
    logger.error({ host, port, err: (err as Error).message }, 'cannot start the public HTTP listener; unsubscribe links will fail, SMTP continues');
    return null;
  }
}

/**
 * The HTTP send API, when configured: its Idempotency-Key answers in <data>/http-api, HTTPS with the relay's
 * certificate when httpApi.tls. Like the admin server, SMTP runs on without it when its port cannot be bound.
 */
async function startHttpApi(
  config: RelayConfig,
  logger: Logger,
  accept: AcceptDeps,
  tls: { key: string; cert: string },
): Promise<{ server: HttpApiServer; idempotency: IdempotencyStore; address: AddressInfo } | null> {
  if (config.httpApi === null) return null;
  const { host, port, trustProxy } = config.httpApi;
  let idempotency: IdempotencyStore;
  try {
    idempotency = await IdempotencyStore.open(join(config.dataDir, 'http-api'), {
      onWriteError: (err) => logger.error({ err: err.message }, 'Idempotency-Key answer not written to disk; it holds until a restart'),
    });
  } catch (err) {
    logger.error({ dir: join(config.dataDir, 'http-api'), err: (err as Error).message }, 'cannot open the Idempotency-Key answers; the HTTP send API is not started, SMTP continues');
    return null;
  }
  const server = new HttpApiServer({ host, port, trustProxy, tls: config.httpApi.tls ? tls : null, accept, idempotency, logger });
  try {
    const address = await server.listen();
    logger.info({ host: address.address, port: address.port, tls: config.httpApi.tls, idempotencyKeys: idempotency.size }, 'HTTP send API listening');
    return { server, idempotency, address };
  } catch (err) {
    await idempotency.close();
    logger.error({ host, port, err: (err as Error).message }, 'cannot start the HTTP send API; SMTP continues');
    return null;
  }
}

/** The start banner's facts, read from the running relay. */
function bannerOf(relay: RunningRelay, demoKey: string | null): string {
  const { config } = relay;
  const demoRoute = demoKey === null ? undefined : config.accounts[0]?.routes['outbox'];
  return startBanner({
    listening: relay.addresses,
    dataDir: config.dataDir,
    selfSignedCert: config.tls.cert === null ? join(config.dataDir, 'tls', 'cert.pem') : null,
    demo:
      demoKey === null || demoRoute?.type !== 'file'
        ? null
        : { key: demoKey, keyFile: join(config.dataDir, 'demo-api-key'), outbox: demoRoute.path },
    admin:
      relay.admin === null || config.admin === null
        ? null
        : {
            url: `http://${relay.admin.family === 'IPv6' ? `[${relay.admin.address}]` : relay.admin.address}:${relay.admin.port}/`,
            tokenFrom: config.admin.token === '' ? join(config.dataDir, 'admin-token') : 'admin.token in the configuration',
          },
  });
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseArgs(argv);
  if (typeof cli === 'string') {
    process.stderr.write(`txrelay: ${cli}\n${USAGE}\n`);
    return 2;
  }
  const format = logFormatOf(process.env, process.stdout.isTTY === true);
  if (format !== 'json' && format !== 'pretty') {
    process.stderr.write(`txrelay: ${format}\n`);
    return 2;
  }
  let loaded;
  try {
    loaded = await readConfiguration(cli);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`txrelay: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(process.env['LOG_LEVEL'] ?? loaded.config.logLevel, format);
  if (loaded.demoKey !== null) {
    logger.info(
      { account: 'demo', apiKey: loaded.demoKey, keyFile: join(loaded.config.dataDir, 'demo-api-key'), created: loaded.demoKeyCreated, outbox: join(loaded.config.dataDir, 'outbox') },
      'embedded default configuration: use this demo API key as the SMTP AUTH password or in an X-Auth-APIKey header',
    );
  }
  let relay: RunningRelay;
  try {
    relay = await startRelay(loaded.config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'cannot start');
    return 1;
  }
  if (format === 'pretty') process.stdout.write(bannerOf(relay, loaded.demoKey));

  process.on('SIGHUP', () => {
    readConfiguration(cli)
      .then((next) => relay.reload(next.config))
      .catch((err: unknown) => logger.error({ err: (err as Error).message }, 'configuration reload refused; keeping the running configuration'));
  });

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, graceMs: relay.config.limits.shutdownGraceMs }, 'shutting down');
      relay.stop().then(
        () => {
          logger.info('stopped');
          resolveExit(0);
        },
        (err: unknown) => {
          logger.error({ err: (err as Error).message }, 'shutdown failed');
          resolveExit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
