// Public API of the SMTP client (re-exported by src/protocol/index.ts).
export { SmtpClient, RFC5321_TIMEOUTS } from './smtp-client.js';
export type {
  ClientTlsMode,
  SmtpClientTimeouts,
  SmtpClientOptions,
  Envelope,
  TransactionStage,
  RecipientReply,
  TransactionResult,
} from './smtp-client.js';
export { SmtpClientPool, PoolClosedError } from './client-pool.js';
export type { SmtpClientPoolOptions, SmtpClientPoolStats } from './client-pool.js';
export {
  SmtpClientError,
  ConnectionRefusedError,
  ConnectionFailedError,
  LocalAddressError,
  ConnectionClosedError,
  SmtpTimeoutError,
  TlsNotOfferedError,
  TlsHandshakeError,
  CertificateInvalidError,
  AuthRefusedError,
  SmtpProtocolError,
  SmtpReplyError,
  Smtputf8NotOfferedError,
  MessageTooLargeError,
  InvalidAddressError,
} from './client-errors.js';
export type { SmtpClientErrorKind } from './client-errors.js';
export { ReplyReader } from './client-reply.js';
export { formatClientReply, isPositive, type ClientReply } from './reply.js';
export { dataChunks } from './dot-stuff.js';
