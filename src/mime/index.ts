// Public surface of src/mime: streaming parse of an inbound message, and composing the outbound one.
// src/mime knows nothing about SMTP or accounts.
export { MessageParser } from './message-parser.js';
export { parseMessage, parseMessageSync } from './parse-message.js';
export type { Mailbox, KeptHeaders, DroppedPart, ParsedMessage } from './parsed-message.js';
export { type MimeLimits, type MimeLimitName, DEFAULT_MIME_LIMITS, MimeLimitError, isMimeLimitError } from './limits.js';
export { composeMessage, encodeHtml, rfc5322Date, ComposeError, type ComposeHeader, type ComposeInput, type ComposeMailbox, type EncodedHtml } from './compose.js';
export { parseAddressList } from './addresses.js';
export { formatAddress, sameAddress, unquoteAddress, AddressSyntaxError } from './address-spec.js';
export { decodeEncodedWords } from './encoded-words.js';
export { decodeCharset } from './charset.js';
export { type PartVisitor, type VisitedPart, headerValue, parseHeaderFields } from './part-visitor.js';
