// The fleet test's MX hosts, all in this one child process (off the relay's event loop): smtp-server on each given
// loopback address and the shared port, some slow (each final reply held `slowMs`). Each host counts connections
// open at once; each connection is tagged with the destination of its first recipient (the parent's map from
// domain to destination), so the most connections a destination had open at once is measured here, at the receiver.
// IPC: argv[2] = JSON FleetChildOptions; answers {ready} then, to {cmd:'report'}, {report: FleetReport}.
import { SMTPServer } from 'smtp-server';

export interface FleetChildOptions {
  port: number;
  hosts: { address: string; slowMs: number }[];
  /** Recipient domain -> destination name (as the relay names it: the MX host names). */
  destinationOf: Record<string, string>;
}

export interface FleetReport {
  hosts: { address: string; connections: number; maxConcurrent: number; messages: number }[];
  /** Destination -> the most connections it had open at once, over all hosts. */
  maxConcurrentByDestination: Record<string, number>;
  /** Every recipient received (one transaction each), in arrival order. */
  recipients: string[];
}

const o = JSON.parse(process.argv[2] ?? '{}') as FleetChildOptions;
const recipients: string[] = [];
const openByDestination = new Map<string, number>();
const maxByDestination = new Map<string, number>();
const hosts: FleetReport['hosts'] = [];

async function start(h: { address: string; slowMs: number }): Promise<void> {
  const stats = { address: h.address, connections: 0, maxConcurrent: 0, messages: 0 };
  hosts.push(stats);
  let open = 0;
  const tagOf = new Map<string, string>();
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ['AUTH'],
    hideSTARTTLS: true,
    maxClients: 10_000,
    closeTimeout: 100,
    onConnect(_s, cb) {
      stats.connections++;
      open++;
      stats.maxConcurrent = Math.max(stats.maxConcurrent, open);
      cb();
    },
    onClose(session) {
      open--;
      const d = tagOf.get(session.id);
      if (d !== undefined) {
        tagOf.delete(session.id);
        openByDestination.set(d, openByDestination.get(d)! - 1);
      }
    },
    onRcptTo(address, session, cb) {
      if (!tagOf.has(session.id)) {
        const domain = address.address.slice(address.address.lastIndexOf('@') + 1).toLowerCase();
        const d = o.destinationOf[domain] ?? `unknown:${domain}`;
        tagOf.set(session.id, d);
        const n = (openByDestination.get(d) ?? 0) + 1;
        openByDestination.set(d, n);
        if (n > (maxByDestination.get(d) ?? 0)) maxByDestination.set(d, n);
      }
      cb();
    },
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        const done = (): void => {
          stats.messages++;
          for (const r of session.envelope.rcptTo) recipients.push(r.address);
          cb(null, 'Ok: queued');
        };
        if (h.slowMs > 0) setTimeout(done, h.slowMs);
        else done();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, h.address, () => resolve());
  });
}

process.on('disconnect', () => process.exit(0));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'report') {
    const report: FleetReport = { hosts, maxConcurrentByDestination: Object.fromEntries(maxByDestination), recipients };
    process.send!({ report });
  }
});
Promise.all(o.hosts.map(start)).then(
  () => process.send!({ ready: true }),
  (err: unknown) => process.send!({ error: (err as Error).message }, undefined, {}, () => process.exit(1)),
);
