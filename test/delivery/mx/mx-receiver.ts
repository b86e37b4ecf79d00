// A receiving MTA for the mx route's tests: the `smtp-server` package listening on a loopback alias (127.0.0.11,
// 127.0.0.12, ...: Linux routes all of 127/8 to lo without setup) and the port every MX host of a test shares.
// It counts connections (total and at once), records each one's source address, and can greet with a refusal or
// offer a STARTTLS that always fails (or one with a given certificate).
import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface MxReceiverOptions {
  host: string;
  port: number;
  /** Greet with this refusal (e.g. 421) instead of 220, then hang up. */
  greeting?: { code: number; text: string };
  /** `broken`: STARTTLS offered, but the handshake always fails (the server speaks TLS 1.0 only; our client wants 1.2+). */
  starttls?: 'none' | 'broken';
  /** STARTTLS with this key and certificate (PEM): a host whose certificate a route can verify. */
  tls?: { key: string; cert: string };
  /** Reply to MAIL FROM with this refusal. */
  mail?: { code: number; text: string };
  /** Hold each message's final reply this long, so deliveries overlap (ms). */
  dataDelayMs?: number;
}

export interface MxReceiver {
  host: string;
  readonly messages: { from: string; to: string[]; body: Buffer; session: string; secure: boolean }[];
  /** Connections accepted since the start. */
  readonly connections: number;
  /** Each connection's source address, in order (a route's localAddresses show here). */
  readonly peers: string[];
  /** The most connections open at once. */
  readonly maxConcurrent: number;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now, for all of a test's receivers (bound, then released). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function refusal(r: { code: number; text: string }): Error {
  return Object.assign(new Error(r.text), { responseCode: r.code });
}

export async function startMxReceiver(o: MxReceiverOptions): Promise<MxReceiver> {
  const messages: MxReceiver['messages'] = [];
  const peers: string[] = [];
  const waiters: { count: number; resolve(): void }[] = [];
  const state = { connections: 0, open: 0, maxConcurrent: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const config: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH'],
    closeTimeout: 100,
    // Without key/cert smtp-server uses its built-in localhost certificate: good enough unverified.
    hideSTARTTLS: o.starttls !== 'broken' && !o.tls,
    ...(o.tls ? { key: o.tls.key, cert: o.tls.cert } : {}),
    ...(o.starttls === 'broken' ? { maxVersion: 'TLSv1', minVersion: 'TLSv1' } : {}),
    onConnect(session, cb) {
      peers.push(session.remoteAddress);
      state.connections++;
      state.open++;
      state.maxConcurrent = Math.max(state.maxConcurrent, state.open);
      cb(o.greeting ? refusal(o.greeting) : null);
    },
    onClose() {
      state.open--;
    },
    onMailFrom(_address, _session, cb) {
      cb(o.mail ? refusal(o.mail) : null);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const finish = (): void => {
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            body: Buffer.concat(chunks),
            session: session.id,
            secure: session.secure,
          });
          for (const w of waiters.splice(0)) {
            if (messages.length >= w.count) w.resolve();
            else waiters.push(w);
          }
          cb(null, 'Ok: queued');
        };
        if (!o.dataDelayMs) return finish();
        const t = setTimeout(() => (timers.delete(t), finish()), o.dataDelayMs);
        timers.add(t);
      });
    },
  };
  const server = new SMTPServer(config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  return {
    host: o.host,
    messages,
    peers,
    get connections() {
      return state.connections;
    },
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${o.host} received ${messages.length} of ${count} messages within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        const timer = setTimeout(resolve, 3_000);
        server.close(() => (clearTimeout(timer), resolve()));
      }),
  };
}
