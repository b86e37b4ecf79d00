// The fleet-sized case of the mx route (issue 15 §3): `messages` messages, one recipient each, to 200 recipient
// domains served by dnsmasq, pointing at 20 MX hosts on 127.0.1.1-20 (smtp-server, all in one child process):
// the first `slowHosts` answer each message after `slowMs`, the last is down (nothing listens) and its domains have
// a second MX (the 19th host). Messages go out through the whole relay (load generator -> SMTP -> spool ->
// scheduler -> mx route). Returned: what the receivers measured and what the event log holds, for the test to check.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../../../bench/loadgen.js';
import type { StoredEvent } from '../../../src/relay/storage/event-log.js';
import { KEY_A, removeDir, startTestRelay } from '../../relay/relay-harness.js';
import { startDnsmasq } from './dnsmasq.js';
import type { FleetChildOptions, FleetReport } from './fleet-receivers-child.js';
import { freeTcpPort } from './mx-receiver.js';

const CHILD = fileURLToPath(new URL('./fleet-receivers-child.js', import.meta.url));
export const FLEET_DOMAINS = 200;
export const FLEET_HOSTS = 20;

export interface FleetOptions {
  messages: number;
  maxConnectionsPerDestination: number;
  slowHosts: number;
  slowMs: number;
  /** Bound on the whole delivery after the last message was accepted. */
  drainMs: number;
  progress?: (line: string) => void;
}

export interface FleetFigures {
  accepted: number;
  loadErrors: Record<string, number>;
  acceptSeconds: number;
  /** From the first message sent to the last recipient delivered. */
  totalSeconds: number;
  /** Accepted recipients by address (one recipient per message). */
  acceptedRecipients: string[];
  report: FleetReport;
  /** delivered events by recipient (a count per address: exactly one each when nothing is duplicated). */
  deliveredEvents: Map<string, number>;
  deliveredDestinations: Map<string, string>;
  /** Every event type's count. */
  eventTypes: Record<string, number>;
  spoolPending: number;
  /** Destination name -> its hosts' addresses. */
  destinations: Map<string, string[]>;
}

const hostName = (h: number): string => `mx.h${String(h).padStart(2, '0')}.fleet.test`;
const hostAddress = (h: number): string => `127.0.1.${h + 1}`;
const domainName = (d: number): string => `d${String(d).padStart(3, '0')}.fleet.test`;
/** Four messages in a row to the same domain, so deliveries to a destination overlap and its cap binds. */
const domainOfMessage = (i: number): number => Math.floor(i / 4) % FLEET_DOMAINS;
const DOWN = FLEET_HOSTS - 1;
const BACKUP = FLEET_HOSTS - 2;

/** MX hosts of domain d: host d % 20; the down host's domains also have the backup host, at a lower preference. */
function mxOf(d: number): number[] {
  const h = d % FLEET_HOSTS;
  return h === DOWN ? [DOWN, BACKUP] : [h];
}

async function readAllEvents(read: (q: { limit: number; cursor?: string }) => Promise<{ events: StoredEvent[]; next: string | null }>): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const p = await read({ limit: 1000, ...(cursor ? { cursor } : {}) });
    all.push(...p.events);
    if (p.next === null) return all;
    cursor = p.next;
  }
}

export async function runFleetScenario(o: FleetOptions): Promise<FleetFigures> {
  const records: string[] = [];
  for (let h = 0; h < FLEET_HOSTS; h++) records.push(`--host-record=${hostName(h)},${hostAddress(h)}`);
  const destinationOf: Record<string, string> = {};
  const destinations = new Map<string, string[]>();
  for (let d = 0; d < FLEET_DOMAINS; d++) {
    const hosts = mxOf(d);
    hosts.forEach((h, k) => records.push(`--mx-host=${domainName(d)},${hostName(h)},${10 * (k + 1)}`));
    const dest = hosts.map(hostName).sort().join(',');
    destinationOf[domainName(d)] = dest;
    destinations.set(dest, hosts.map(hostAddress));
  }
  const dns = await startDnsmasq(records);
  const port = await freeTcpPort();
  const childOptions: FleetChildOptions = {
    port,
    hosts: Array.from({ length: FLEET_HOSTS - 1 }, (_, h) => ({ address: hostAddress(h), slowMs: h < o.slowHosts ? o.slowMs : 0 })),
    destinationOf,
  };
  const child = fork(CHILD, [JSON.stringify(childOptions)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(want: (m: Record<string, unknown>) => T | undefined, cmd?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>): void => {
        if (typeof m['error'] === 'string') return finish(() => reject(new Error(`fleet receivers: ${m['error'] as string}`)));
        const v = want(m);
        if (v !== undefined) finish(() => resolve(v));
      };
      const onExit = (code: number | null): void => finish(() => reject(new Error(`fleet receivers exited with ${code}`)));
      const finish = (f: () => void): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
        f();
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (cmd) child.send({ cmd });
    });
  let t: Awaited<ReturnType<typeof startTestRelay>> | null = null;
  try {
    await ask((m) => (m['ready'] ? true : undefined));
    t = await startTestRelay((json) => {
      json['queue'] = { retryMinMs: 200, retryMaxMs: 2000 };
      json['limits'] = { maxConnectionsPerAddress: 1000 };
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = {
        type: 'mx', port, dnsServers: [dns.server], mtaSts: false, tls: 'none', connectTimeoutMs: 2_000,
        maxConnectionsPerDestination: o.maxConnectionsPerDestination, maxMessagesPerConnection: 100,
      };
    });
    const relay = t.relay;
    const started = performance.now();
    const load = await runLoad({
      port: t.port,
      sessions: 10,
      count: o.messages,
      recipient: (i) => `u${i}@${domainName(domainOfMessage(i))}`,
      messagesPerConnection: 0,
      mode: 'pipelined',
      headerApiKey: KEY_A,
      messageSize: 1024,
      timeLimitMs: 600_000,
    });
    const acceptSeconds = (performance.now() - started) / 1000;
    o.progress?.(`fleet: accepted ${load.messages}/${load.attempted} in ${acceptSeconds.toFixed(1)} s, errors ${JSON.stringify(load.errors)}`);
    const deadline = performance.now() + o.drainMs;
    while (relay.spool.pending().length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const totalSeconds = (performance.now() - started) / 1000;
    o.progress?.(`fleet: spool drained (${relay.spool.pending().length} left) ${totalSeconds.toFixed(1)} s after the first message`);
    await relay.events.flush();
    // Which recipients were accepted is read back from the accepted events (one per recipient).
    const events = await readAllEvents((q) => relay.events.read(q));
    const eventTypes: Record<string, number> = {};
    const deliveredEvents = new Map<string, number>();
    const deliveredDestinations = new Map<string, string>();
    const acceptedRecipients: string[] = [];
    for (const e of events) {
      eventTypes[e.type] = (eventTypes[e.type] ?? 0) + 1;
      if (e.type === 'accepted') acceptedRecipients.push(e.recipient!);
      if (e.type === 'delivered') {
        deliveredEvents.set(e.recipient!, (deliveredEvents.get(e.recipient!) ?? 0) + 1);
        deliveredDestinations.set(e.recipient!, e.destination ?? '');
      }
    }
    const report = await ask((m) => m['report'] as FleetReport | undefined, 'report');
    return {
      accepted: load.messages,
      loadErrors: load.errors,
      acceptSeconds,
      totalSeconds,
      acceptedRecipients,
      report,
      deliveredEvents,
      deliveredDestinations,
      eventTypes,
      spoolPending: relay.spool.pending().length,
      destinations,
    };
  } finally {
    if (t) {
      await t.stop();
      await removeDir(t.dir);
    }
    child.kill('SIGTERM');
    await dns.close();
  }
}
