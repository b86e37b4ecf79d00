// The relay's configuration as validateConfig returns it: every default applied, every path absolute.
import type { ENGINE_DEFAULTS, LineEndings, SmtpServerOptions } from '../../protocol/index.js';
import type { TemplateLimits } from '../template/options.js';

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

/** The SMTP engine's limit names: the keys of its DEFAULTS, so a limit the engine gains is configurable here too. */
export type SmtpLimitName = keyof typeof ENGINE_DEFAULTS;

/** The engine's limits under the engine's own option names (and doc comments), every one set. */
export type SmtpLimitsConfig = Required<Pick<SmtpServerOptions, SmtpLimitName>>;

/** The relay's own limits: the message's structure and size, template variables, tags per account. */
export interface MessageLimitsConfig {
  maxHeaderBytes: number;
  maxHeaders: number;
  maxDepth: number;
  maxParts: number;
  maxHtmlBytes: number;
  maxVariablesBytes: number;
  maxTagsPerAccount: number;
}

export interface LimitsConfig extends SmtpLimitsConfig, MessageLimitsConfig {
  template: TemplateLimitsConfig;
}

/** One DKIM key of an account (SPEC §5): messages whose From domain is `domain` or below it are signed with it. */
export interface DkimKeyFileConfig {
  domain: string;
  selector: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
  /** Absolute path of the PEM private key (txrelay dkim-keygen writes one). */
  privateKeyFile: string;
}

/** VERP (issue 16 §2): each outbound copy's envelope sender becomes `b-<queue id>-<n>-<sig>@<domain>`. */
export interface ReturnPathConfig {
  /** Lower-cased domain whose MX points at the relay's inbound listener. */
  domain: string;
}

export interface FileRouteConfig {
  type: 'file';
  /** Sign with the account's DKIM keys; default true. */
  dkim: boolean;
  /** VERP return path (written as the Return-Path header of each file); null = none. */
  returnPath: ReturnPathConfig | null;
  /** Absolute folder the .eml files are written into (relative paths resolve against the config file's folder). */
  path: string;
}

export interface SmtpRouteConfig {
  type: 'smtp';
  /** Sign with the account's DKIM keys; default true (false for a smarthost that signs itself). */
  dkim: boolean;
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
  /** VERP return path, instead of envelopeFrom; null = none. */
  returnPath: ReturnPathConfig | null;
}

/** How an `mx` route uses TLS: STARTTLS when offered (no verification), STARTTLS with the MX name verified, or never. */
export type MxTlsMode = 'opportunistic' | 'verify' | 'none';
export type MxIpFamily = 'any' | 'ipv4' | 'ipv6';

/** Direct delivery to the MX hosts of each recipient's domain (issue 15; docs/delivery.md "The mx route"). */
export interface MxRouteConfig {
  type: 'mx';
  /** Sign with the account's DKIM keys; default true. */
  dkim: boolean;
  /** Port of the MX hosts; 25 (tests use another). */
  port: number;
  /** Our name in EHLO; null = the relay's `hostname`. */
  helo: string | null;
  /** Source addresses to bind, used in turn; empty = the system's choice. */
  localAddresses: string[];
  ipFamily: MxIpFamily;
  tls: MxTlsMode;
  /** Absolute path of a PEM CA bundle for `verify` (and MTA-STS enforce) instead of the system roots; null = system roots. */
  caFile: string | null;
  /** Honour RFC 8461 MTA-STS policies. */
  mtaSts: boolean;
  /** DNS servers as "ip" or "ip:port"; null = the system resolver. */
  dnsServers: string[] | null;
  maxConnectionsPerDestination: number;
  maxMessagesPerConnection: number;
  connectTimeoutMs: number;
  /** VERP return path; null = none. */
  returnPath: ReturnPathConfig | null;
}

export type RouteConfig = FileRouteConfig | SmtpRouteConfig | MxRouteConfig;

/** How far a one-click unsubscribe reaches: every message of the account, or those with the message's tag. */
export type UnsubscribeScope = 'account' | 'tag';

/** One-click unsubscribe links (RFC 8058, RFC 2369) on every message of an account or a template (docs/feedback.md). */
export interface UnsubscribeConfig {
  /** Absolute https URL the public HTTP listener answers behind, without a trailing slash; links are `<baseUrl>/<token>`. */
  baseUrl: string;
  /** An address added as a `mailto:` alternative, or null. */
  mailto: string | null;
  scope: UnsubscribeScope;
}

/** Open and click tracking of an account (docs/tracking.md); off unless configured. */
export interface TrackingConfig {
  /** Add the open pixel. */
  opens: boolean;
  /** Rewrite the http(s) links to the click endpoint. */
  clicks: boolean;
  /** Absolute https URL the public HTTP listener answers behind, without a trailing slash: `<baseUrl>/o/<token>`, `<baseUrl>/c/<token>`. */
  baseUrl: string;
  /** Per message tag (normalized, lower-case): what that tag's messages do instead; a template's own setting wins. */
  tags: Record<string, TrackingOverride>;
}

/** Tracking of a template or of one tag: each field set wins over the level below it; null = that level's. */
export interface TrackingOverride {
  opens: boolean | null;
  clicks: boolean | null;
  baseUrl: string | null;
}

/** What the public listener does with tracking records and machine fetches (relay-wide: it serves every account). */
export interface PublicTrackingConfig {
  /** Tracking records (the links' URLs) older than this many days are removed, and their links answer 404. */
  recordDays: number;
  /** Operator CIDR ranges whose fetches are flagged machine, added to the built-in list. */
  machineRanges: string[];
  /** Use the built-in list of scanner and privacy-proxy ranges (src/relay/tracking/machine-ranges.ts). */
  builtInMachineRanges: boolean;
  /** Fetches this soon after the message was accepted are flagged machine (scanners open links on arrival); 0 = off. */
  machineWindowSeconds: number;
}

/** The small public HTTP listener (not the admin port) that answers unsubscribe links. */
export interface PublicHttpConfig {
  port: number;
  /** Address to bind; default "0.0.0.0". */
  host: string;
  /** Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed; [] = none. */
  trustProxy: string[];
  /** HMAC key of the links; null = generated once into `<dataDir>/link-secret`. */
  secret: string | null;
  /** Record expiry and machine ranges of open and click tracking. */
  tracking: PublicTrackingConfig;
}

/** The HTTP send API listener (docs/http-api.md): POST /v1/send with an account's API key. */
export interface HttpApiConfig {
  port: number;
  /** Address to bind; default "0.0.0.0". */
  host: string;
  /** HTTPS with the relay's certificate (the one STARTTLS uses); false = plain HTTP, behind a TLS-terminating proxy. */
  tls: boolean;
  /** Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed for the logged client; [] = none. */
  trustProxy: string[];
}

export interface TemplateConfig {
  /** The template's HTML (from `html`, or the contents of `htmlFile`). */
  html: string;
  /** Absolute path the HTML was loaded from, or null when given inline. */
  htmlFile: string | null;
  subject: string | null;
  from: string | null;
  replyTo: string | null;
  tag: string | null;
  /** Wins over the account's; null = the account's. */
  unsubscribe: UnsubscribeConfig | null;
  /** Wins over the tag's and the account's tracking, field by field; null = theirs. */
  tracking: TrackingOverride | null;
}

export interface RateConfig {
  /** Messages per second (token bucket); null = unlimited. */
  perSecond: number | null;
  /** Messages per UTC day; null = unlimited. */
  perDay: number | null;
}

/** One webhook endpoint of an account (issue 16 §1; docs/feedback.md "Webhooks"). */
export interface WebhookConfig {
  id: string;
  /** http:// or https:// URL the events are POSTed to (http:// is warned about at start). */
  url: string;
  /** Event types sent (the relay's, plus bounced, complained, unsubscribed). */
  events: string[];
  /** "whsec_" + base64 (from `secret`, or read from `secretFile`). */
  secret: string;
  /** Absolute path the secret was read from, or null when given inline. */
  secretFile: string | null;
  /** One request's limit (connect to end of the response); default 10 s. */
  timeoutMs: number;
  /** Requests at once; default 4. */
  maxInFlight: number;
  /** An endpoint failing without a success this long is disabled; default 24 h. */
  disableAfterMs: number;
}

/** Retention of the composed messages sent (`"retention": { "days": 7 }`; docs/admin-api.md "Message activity"). */
export interface RetentionConfig {
  /** Copies are kept at least this many days (and removed within the day after); 1 to 365. */
  days: number;
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
  /** DKIM keys; [] = messages leave unsigned. */
  dkim: DkimKeyFileConfig[];
  /** One-click unsubscribe links on every message (a template's own setting wins); null = none. */
  unsubscribe: UnsubscribeConfig | null;
  /** Open and click tracking; null = none (the default). */
  tracking: TrackingConfig | null;
  /** Webhook endpoints; [] = none. */
  webhooks: WebhookConfig[];
  /** In effect for this account: its own `retention`, else the relay's; null = no copies kept (`"days": 0` turns it off). */
  retention: RetentionConfig | null;
}

export interface AdminConfig {
  host: string;
  port: number;
  token: string;
  /** Destinations of mx routes that keep their own label in /metrics (the busiest); the rest are "other". */
  metricsTopDestinations: number;
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

/** The listener for reports mailed back (bounces, complaints): SMTP without AUTH, for these domains only. */
export interface InboundConfig {
  port: number;
  /** Address to bind; default "0.0.0.0". */
  host: string;
  /** Lower-cased domains accepted in RCPT (the returnPath domains whose MX points here); others get 550 5.7.1. */
  domains: string[];
}

/** Where runtime state lives (API keys and templates made through the API, suppressions, counters, tags). */
export type StoreConfig =
  | { type: 'local' }
  | {
      type: 'redis';
      /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
      url: string;
      /** Prefix of every key and channel, so several fleets can share one Redis; default "txrelay:". */
      prefix: string;
    };

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
  /** Required when an account or template sets unsubscribe; null = no public listener. */
  publicHttp: PublicHttpConfig | null;
  /** The HTTP send API; null = none. */
  httpApi: HttpApiConfig | null;
  accounts: AccountConfig[];
  /** The inbound listener for bounces and complaints; null = none. */
  inbound: InboundConfig | null;
  /** Runtime state: `{ type: "local" }` by default. */
  store: StoreConfig;
  /** Copies of sent messages for every account without its own setting; null = off (the default). */
  retention: RetentionConfig | null;
}

