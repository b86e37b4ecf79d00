// The peer for the relay benchmarks: smtp-server accepting with AUTH/STARTTLS as the relay does, and parsing every
// message with mailparser's simpleParser (what a Node relay built from those libraries would do). Accept-only:
// no durability, no composing, no delivery — the peer does strictly less work than the relay.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { serveInChild, type ListeningServer } from '../servers/serve-in-child.js';

export interface PeerChildOptions {
  apiKey: string;
  tls?: { keyPath: string; certPath: string };
}

async function start(options: PeerChildOptions): Promise<ListeningServer> {
  const config: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    size: 30 * 1024 * 1024,
    closeTimeout: 1000,
    hideSTARTTLS: options.tls === undefined,
    authOptional: true,
    authMethods: ['PLAIN', 'LOGIN'],
    maxClients: 12000,
    onAuth(auth, _session, callback) {
      if (auth.password === options.apiKey) callback(null, { user: 'bench' });
      else callback(Object.assign(new Error('Invalid API key'), { responseCode: 535 }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const key = mail.headers.get('x-auth-apikey');
          if (key !== undefined && key !== options.apiKey) callback(Object.assign(new Error('Invalid API key'), { responseCode: 535 }));
          else callback(null, `Ok: queued as ${mail.messageId ?? 'x'}`);
        },
        (err: Error) => callback(err),
      );
    },
  };
  if (options.tls) {
    config.key = readFileSync(options.tls.keyPath);
    config.cert = readFileSync(options.tls.certPath);
  }
  const server = new SMTPServer(config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (process.send && process.argv[1]?.endsWith('peer-child.js')) serveInChild(start);
