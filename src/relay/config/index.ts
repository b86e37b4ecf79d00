// The relay's configuration: its schema, defaults and value formats, the validator, and the file loader.
export type {
  AccountConfig,
  AdminConfig,
  FileRouteConfig,
  HttpApiConfig,
  InboundConfig,
  LimitsConfig,
  ListenerConfig,
  LogLevel,
  MessageLimitsConfig,
  MxIpFamily,
  MxRouteConfig,
  MxTlsMode,
  PublicHttpConfig,
  QueueConfig,
  RateConfig,
  RelayConfig,
  RetentionConfig,
  ReturnPathConfig,
  RouteConfig,
  RouteTlsMode,
  SmtpLimitName,
  SmtpLimitsConfig,
  SmtpRouteConfig,
  TemplateConfig,
  TemplateLimitsConfig,
  TlsConfig,
  UnsubscribeConfig,
  TrackingConfig,
  TrackingOverride,
  PublicTrackingConfig,
  UnsubscribeScope,
  WebhookConfig,
} from './schema.js';
export { WEBHOOK_EVENT_TYPES, readWebhookFields, type WebhookFields } from './validate-webhooks.js';
export { ConfigError, type ConfigIssue } from './config-error.js';
export { FieldReader } from './field-reader.js';
export { TRACKING_OVERRIDE_FIELDS, readTrackingOverride } from './validate-accounts.js';
export { DEFAULT_LIMITS, DEFAULT_MESSAGE_LIMITS, DEFAULT_PORTS, DEFAULT_QUEUE, defaultListener } from './defaults.js';
export { SMTP_LIMIT_NAMES, smtpLimitsOf } from './smtp-limits.js';
export { API_KEY_HASH_PATTERN, NAME_PATTERN, TAG_PATTERN } from './formats.js';
export { validateConfig } from './validate.js';
export { loadConfig } from './load.js';
