// Our engine (src/protocol SmtpServer) with the discard backend, configured like smtp-server-discard.
import { readFileSync } from 'node:fs';
import { SmtpServer, type SmtpServerOptions } from '../../src/protocol/server.js';
import type { DiscardServerOptions } from './child-messages.js';
import { discardBackend } from './discard-backend.js';
import { serveInChild, type ListeningServer } from './serve-in-child.js';

export async function startEngineDiscard(options: DiscardServerOptions, host = '127.0.0.1', port = 0): Promise<ListeningServer> {
  const engineOptions: SmtpServerOptions = {
    maxMessageSize: options.maxMessageSize ?? 30 * 1024 * 1024,
    authBeforeTls: false,
    // smtp-server has no connection caps by default; the load comes from one address, 50 sessions at a time.
    maxConnections: 10_000,
    maxConnectionsPerAddress: 10_000,
  };
  if (options.tls) {
    engineOptions.tls = { key: readFileSync(options.tls.keyPath), cert: readFileSync(options.tls.certPath) };
  }
  const server = new SmtpServer(discardBackend(options.authKey), engineOptions);
  const address = await server.listen(port, host);
  return { port: address.port, close: () => server.close(1000) };
}

// Started by startServerChild: run as a child process, otherwise only export the starter.
if (process.send && process.argv[1]?.endsWith('engine-discard.js')) serveInChild(startEngineDiscard);
