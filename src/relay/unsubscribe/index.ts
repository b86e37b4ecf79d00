// One-click unsubscribe (RFC 8058): signed link tokens, the headers that carry them, and the endpoint that takes them.
export { UnsubscribeTokens, MAX_TOKEN_LENGTH, type UnsubscribeClaim } from './unsubscribe-token.js';
export { ensureLinkSecret, LINK_SECRET_FILE } from './link-secret.js';
export { unsubscribeHeaders } from './unsubscribe-headers.js';
export { unsubscribeRoute, type UnsubscribeRouteOptions, type UnsubscribeStore } from './unsubscribe-route.js';
