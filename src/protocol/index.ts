// Public API of the SMTP engine.
export { SmtpServer } from './server.js';
export type { SmtpServerOptions, SmtpLogger } from './server.js';
export { SmtpError, isSmtpError } from './reply.js';
export type { SmtpReply } from './reply.js';
export type { Backend, Session, DataSink, MailParams, ConnectionInfo, SessionState, TlsInfo } from './backend.js';
