// The accept loop (go-smtp's server.go): listeners, connection limits, certificate reload and graceful shutdown.
// Work in progress: the API below is stable; the engine behind it is being filled in.
import type { AddressInfo } from 'node:net';
import type { Backend } from './backend.js';

export interface SmtpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface SmtpServerOptions {
  hostname?: string;
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  authBeforeTls?: boolean;
  authMechanisms?: ('PLAIN' | 'LOGIN')[];
  maxMessageSize?: number;
  maxLineLength?: number;
  maxRecipients?: number;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  maxBadCommands?: number;
  maxAuthFailures?: number;
  maxAuthFailuresPerAddressPerMinute?: number;
  commandTimeoutMs?: number;
  minDataRateBytesPerSec?: number;
  sessionDeadlineMs?: number;
  greetingDelayMs?: number;
  proxyProtocol?: { trusted: string[] } | undefined;
  logger?: SmtpLogger;
}

export class SmtpServer {
  constructor(
    private readonly backend: Backend,
    private readonly options: SmtpServerOptions = {},
  ) {}

  get connectionCount(): number {
    return 0;
  }

  listen(_port: number, _host?: string): Promise<AddressInfo> {
    return Promise.reject(new Error('SmtpServer.listen: not implemented yet'));
  }

  setTls(_tls: { key: string | Buffer; cert: string | Buffer }): void {}

  close(_graceMs?: number): Promise<void> {
    return Promise.resolve();
  }
}
