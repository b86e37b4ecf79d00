// Public API of the SMTP engine.
export { SmtpServer } from './server.js';
export type { SmtpServerOptions, SmtpLogger } from './options.js';
export { SmtpError, isSmtpError } from './reply.js';
export type { SmtpReply } from './reply.js';
export type { Backend, Session, DataSink, MailParams, ConnectionInfo, SessionState, TlsInfo } from './backend.js';
export { formatReply, smtpReply } from './reply.js';
export { DataReader, LineEndingCheck, DATA_INCOMPLETE, DATA_BARE_CR, DATA_BARE_LF, type LineEndings } from './data-reader.js';
export {
  parseCommandLine,
  parseMailArgument,
  parseRcptArgument,
  parseBdatArgument,
  parsePath,
  parseEsmtpParams,
  decodeAuthResponse,
  parseAuthPlain,
  PathSyntaxError,
} from './parse.js';
export type { CommandLine, MailCommand, ParsedPath, EsmtpParam, BdatCommand } from './parse.js';
export { parseProxyHeader, ProxyHeaderError, TrustedProxies } from './proxy.js';
export type { ProxyHeader } from './proxy.js';
export { type SmtpObserver, silentObserver } from './observer.js';
export { DEFAULTS as ENGINE_DEFAULTS } from './options.js';
export * from './client/index.js';
