// The accept loop (go-smtp's server.go): listeners, connection limits, certificate reload and graceful shutdown.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { Backend } from './backend.js';
import { silentObserver, type SmtpObserver } from './observer.js';
import { AuthFailureCounter } from './auth-failures.js';
import { SmtpConnection, type ConnectionHost, type LocalEnd } from './connection.js';
import { resolveOptions, type EngineConfig, type SmtpLogger, type SmtpServerOptions } from './options.js';

export type { SmtpLogger, SmtpServerOptions } from './options.js';
import { normalizeAddress, TrustedProxies } from './proxy.js';
import { formatReply, smtpReply } from './reply.js';
import type { LineEndings } from './data-reader.js';

const silentLogger: SmtpLogger = { info() {}, warn() {}, error() {}, debug() {} };
const TOO_MANY_CONNECTIONS = formatReply(smtpReply(421, '4.7.0', 'Too many connections, try again later'));
/** A refused connection gets this long to read the 421 before it is destroyed. */
const REFUSAL_LINGER_MS = 2000;

/**
 * Sets TCP_NODELAY on a listening socket; true when accepted sockets inherit it (Linux copies the listener's
 * TCP options to each accepted socket), false where the caller must set it per socket.
 */
function setListenerNoDelay(server: Server): boolean {
  if (process.platform !== 'linux') return false;
  const handle = (server as unknown as { _handle?: { setNoDelay?: (on: boolean) => number } | null })._handle;
  if (handle === null || handle === undefined || typeof handle.setNoDelay !== 'function') return false;
  return handle.setNoDelay(true) === 0;
}

function secureContextFor(tls: { key: string | Buffer; cert: string | Buffer }): SecureContext {
  // TLS 1.2 minimum (SPEC §1).
  return createSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
}

export class SmtpServer implements ConnectionHost {
  readonly config: EngineConfig;
  readonly logger: SmtpLogger;
  readonly logsSessions: boolean;
  readonly limitsPerAddress: boolean;
  readonly observer: SmtpObserver;
  readonly trustedProxies: TrustedProxies | null;
  readonly authFailures: AuthFailureCounter;
  private context: SecureContext | null;
  private readonly listeners: Server[] = [];
  private readonly connections = new Set<SmtpConnection>();
  private readonly perAddress = new Map<string, number>();
  private readonly idPrefix = randomBytes(3).toString('hex');
  private sessionCounter = 0;
  private closing: Promise<void> | null = null;
  private allClosed: (() => void) | null = null;

  constructor(
    readonly backend: Backend,
    options: SmtpServerOptions = {},
  ) {
    this.config = resolveOptions(options);
    this.logger = options.logger ?? silentLogger;
    this.logsSessions = options.logger !== undefined;
    // With maxConnectionsPerAddress >= maxConnections no address can reach its limit: nothing to count.
    this.limitsPerAddress = this.config.maxConnectionsPerAddress < this.config.maxConnections;
    this.observer = options.observer ?? silentObserver;
    this.trustedProxies = options.proxyProtocol ? new TrustedProxies(options.proxyProtocol.trusted) : null;
    this.authFailures = new AuthFailureCounter(this.config.maxAuthFailuresPerAddressPerMinute);
    this.context = options.tls ? secureContextFor(options.tls) : null;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get secureContext(): SecureContext | null {
    return this.context;
  }

  /** Binds one more port; rejects with the listen error (EADDRINUSE, EACCES). */
  listen(port: number, host?: string): Promise<AddressInfo> {
    if (this.closing !== null) return Promise.reject(new Error('SmtpServer.listen: server is closed'));
    // Replies are small and must not wait for Nagle: TCP_NODELAY on every accepted socket. On Linux it is set
    // once on the listening socket, which accepted sockets inherit (one setsockopt per listener, not per client).
    let inheritsNoDelay = false;
    // A listener bound to one address accepts only on that address and port: the local end of each connection
    // is known without a getsockname per socket (a wildcard listener leaves it to the socket).
    let localEnd: LocalEnd | null = null;
    const server = createServer((socket) => {
      if (!inheritsNoDelay) socket.setNoDelay(true);
      this.accept(socket, localEnd);
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.removeListener('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        inheritsNoDelay = setListenerNoDelay(server);
        const bound = server.address() as AddressInfo;
        if (bound.address !== '0.0.0.0' && bound.address !== '::') localEnd = { address: normalizeAddress(bound.address), port: bound.port };
        server.removeListener('error', onError);
        server.on('error', (err) => this.logger.error({ err }, 'smtp listener error'));
        this.listeners.push(server);
        resolve(server.address() as AddressInfo);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      if (host === undefined) server.listen(port);
      else server.listen(port, host);
    });
  }

  /** Certificate reload (SIGHUP): new STARTTLS handshakes use it; running sessions keep theirs. Throws on a bad key/cert. */
  setTls(tls: { key: string | Buffer; cert: string | Buffer }): void {
    this.context = secureContextFor(tls);
  }

  /**
   * Graceful shutdown (SPEC §2): stop listening; sessions in a message may finish it within `graceMs`,
   * the others get 421 4.3.2 at once; resolves when every session is gone.
   */
  close(graceMs: number = this.config.shutdownGraceMs): Promise<void> {
    if (this.closing !== null) return this.closing;
    for (const server of this.listeners) server.close();
    this.closing = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const connection of [...this.connections]) connection.requestShutdown();
    const timer = setTimeout(() => {
      for (const connection of [...this.connections]) connection.forceClose();
    }, graceMs);
    timer.unref();
    void this.closing.then(() => clearTimeout(timer));
    this.checkAllClosed();
    return this.closing;
  }

  private accept(socket: Socket, localEnd: LocalEnd | null): void {
    if (this.closing !== null) {
      socket.on('error', this.onRefusedSocketError);
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.config.maxConnections) {
      socket.on('error', this.onRefusedSocketError);
      this.logger.warn({ remoteAddress: socket.remoteAddress, limit: this.config.maxConnections }, 'smtp connection refused: too many connections');
      this.observer.limitHit('maxConnections');
      socket.end(TOO_MANY_CONNECTIONS);
      setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
      return;
    }
    // The connection listens for its socket's errors itself (logged with its session id).
    const connection = new SmtpConnection(this, socket, localEnd);
    this.connections.add(connection);
  }

  private readonly onRefusedSocketError = (err: NodeJS.ErrnoException): void => {
    this.logger.debug?.({ code: err.code, err: err.message }, 'smtp socket error');
  };

  admitAddress(address: string): boolean {
    const n = this.perAddress.get(address) ?? 0;
    if (n >= this.config.maxConnectionsPerAddress) return false;
    this.perAddress.set(address, n + 1);
    return true;
  }

  releaseAddress(address: string): void {
    const n = this.perAddress.get(address) ?? 0;
    if (n <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, n - 1);
  }

  connectionClosed(connection: SmtpConnection): void {
    this.connections.delete(connection);
    this.checkAllClosed();
  }

  nextSessionId(): string {
    this.sessionCounter++;
    return `${this.idPrefix}${this.sessionCounter.toString(36).padStart(6, '0')}`;
  }

  private checkAllClosed(): void {
    if (this.allClosed !== null && this.connections.size === 0) {
      const resolve = this.allClosed;
      this.allClosed = null;
      resolve();
    }
  }
}
