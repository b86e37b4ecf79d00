// Webhooks (issue 16 §1): signed Standard Webhooks requests for each account's events, read from the event log.
export { WebhookDispatcher, type WebhookAdmin, type WebhookDispatcherOptions } from './webhook-dispatcher.js';
export {
  WebhookEndpoint,
  type EndpointStatus,
  type EventSource,
  type WebhookAttempt,
  type WebhookRetryPolicy,
} from './webhook-endpoint.js';
export { HttpTransport, type SendResult, type WebhookTransport } from './http-sender.js';
export { bodyOf, payloadOf, webhookIdOf, type WebhookPayload } from './payload.js';
export { generateWebhookSecret, signedHeaders, webhookSecretKey } from './signature.js';
