// The full relay under load, in a child process of its own: the engine, the MIME parser, policy, compose and the
// durable spool (fsync before every 250), on an ephemeral port. With `hold` (default) nothing is delivered, so the
// figures are the accept path's, like the accept-only peer's; the delivery suite measures delivery end to end.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { validateConfig } from '../../src/relay/config/index.js';
import { startRelay } from '../../src/relay/main.js';
import { serveInChild, type ListeningServer } from '../servers/serve-in-child.js';

export interface RelayChildOptions {
  apiKey: string;
  /** Accept and spool without delivering (default true). */
  hold?: boolean;
  /** Deliver through an smtp route to this port instead of the file route. */
  upstreamPort?: number;
  /** Deliver through an mx route: MX hosts on this port, looked up at this DNS server (relay-mx suite). */
  mx?: { port: number; dnsServer: string };
  /** Sign with this key (the account's `dkim`; the load generator's From is loadgen@example.com). */
  dkim?: { algorithm: 'rsa-sha256' | 'ed25519-sha256'; privateKeyFile: string; domain: string };
  tls?: { keyPath: string; certPath: string };
}

async function start(options: RelayChildOptions): Promise<ListeningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-bench-relay-'));
  const json = {
    hostname: 'bench.relay',
    listeners: [{ port: 0, host: '127.0.0.1' }],
    dataDir: dir,
    logLevel: 'silent',
    // Bench load is one address (loopback): lift the per-address cap the default sets for the internet.
    limits: { maxConnectionsPerAddress: 12000, maxConnections: 12000 },
    queue: { hold: options.hold ?? true },
    accounts: [
      {
        id: 'bench',
        name: 'Bench',
        apiKeys: [hashApiKey(options.apiKey)],
        ...(options.dkim ? { dkim: [{ domain: options.dkim.domain, selector: 'bench', algorithm: options.dkim.algorithm, privateKeyFile: options.dkim.privateKeyFile }] } : {}),
        routes: {
          outbox: options.mx
            ? { type: 'mx', port: options.mx.port, dnsServers: [options.mx.dnsServer], tls: 'none', mtaSts: false, maxMessagesPerConnection: 1000 }
            : options.upstreamPort === undefined
              ? { type: 'file', path: join(dir, 'outbox') }
              : { type: 'smtp', host: '127.0.0.1', port: options.upstreamPort, tls: 'none', poolSize: 8, maxMessagesPerConnection: 1000 },
        },
      },
    ],
  };
  const { config, errors } = validateConfig(json, dir);
  if (!config) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  if (options.tls) {
    config.tls = { cert: options.tls.certPath, key: options.tls.keyPath };
    readFileSync(options.tls.certPath);
  }
  const relay = await startRelay(config, pino({ level: 'silent' }));
  return {
    port: relay.addresses[0]!.port,
    async close() {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (process.send && process.argv[1]?.endsWith('relay-child.js')) serveInChild(start);
