// The peer under test: the `smtp-server` package configured like our discard engine server
// (same STARTTLS/AUTH choices, size limit, no logging, no reverse DNS), dropping every message.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { DiscardServerOptions } from './child-messages.js';
import { serveInChild, type ListeningServer } from './serve-in-child.js';

export async function startSmtpServerDiscard(options: DiscardServerOptions, host = '127.0.0.1', port = 0): Promise<ListeningServer> {
  const config: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    size: options.maxMessageSize ?? 30 * 1024 * 1024,
    closeTimeout: 1000,
    hideSTARTTLS: options.tls === undefined,
    allowInsecureAuth: false,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: options.authKey === undefined,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('Message exceeds fixed maximum message size'), { responseCode: 552 }));
        } else {
          callback(null, 'Ok');
        }
      });
    },
  };
  if (options.tls) {
    config.key = readFileSync(options.tls.keyPath);
    config.cert = readFileSync(options.tls.certPath);
  }
  if (options.authKey === undefined) {
    config.disabledCommands = ['AUTH'];
  } else {
    const key = options.authKey;
    config.onAuth = (auth, _session, callback) => {
      if (auth.password === key) callback(null, { user: auth.username ?? 'apikey' });
      else callback(Object.assign(new Error('Invalid API key'), { responseCode: 535 }));
    };
  }
  const server = new SMTPServer(config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Started by startServerChild: run as a child process, otherwise only export the starter.
if (process.send && process.argv[1]?.endsWith('smtp-server-discard.js')) serveInChild(startSmtpServerDiscard);
