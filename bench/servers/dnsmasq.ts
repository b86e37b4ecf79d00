// Debian's dnsmasq on a loopback port as an authoritative DNS server for `.test` names: MX, A, AAAA and TXT records
// from its command line, NXDOMAIN for any other name under `.test` (--local=/test/), and REFUSED for names outside it
// (no upstream). Used by the relay-mx bench suite and, through test/delivery/mx/dnsmasq.ts, by the tests.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { existsSync } from 'node:fs';

const START_TIMEOUT_MS = 10_000;

export interface Dnsmasq {
  /** "127.0.0.1:<port>", for dnsServers. */
  server: string;
  /** Its log so far (--log-queries: one `query[MX] name from ...` line per query). */
  log(): string;
  close(): Promise<void>;
}

/** A UDP port free right now on 127.0.0.1 (bound, then released). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Runs dnsmasq with `records` (options such as `--mx-host=a.test,mx.a.test,10`); resolves once it answers a
 * query for `ready.test`, rejects at once with its stderr if it exits first.
 */
export const DNSMASQ = '/usr/sbin/dnsmasq';

/** `binary`: the dnsmasq to run (the tests find it through their tool table). */
export async function startDnsmasq(records: string[], binary: string = DNSMASQ): Promise<Dnsmasq> {
  if (!existsSync(binary)) throw new Error(`${binary} is not installed (apt-get install dnsmasq-base)`);
  // dnsmasq binds the port for TCP too; a free UDP port can be some TCP connection's local port meanwhile.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDnsmasqOnce(records, await freeUdpPort(), binary);
    } catch (err) {
      if (attempt >= 5 || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startDnsmasqOnce(records: string[], port: number, binary: string): Promise<Dnsmasq> {
  const args = [
    '--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts',
    '--log-facility=-', '--log-queries', '--local=/test/', '--pid-file=', '--host-record=ready.test,127.0.0.1', ...records,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`dnsmasq did not start: ${err.message}`)));
    child.once('close', (code, signal) => reject(new Error(`dnsmasq exited with ${code ?? signal}: ${output}`)));
  });
  exited.catch(() => {}); // observed below while starting; after that, close() expects the exit
  const server = `127.0.0.1:${port}`;
  const probe = new dns.Resolver({ timeout: 200, tries: 1 });
  probe.setServers([server]);
  const deadline = Date.now() + START_TIMEOUT_MS;
  const ready = (async () => {
    for (;;) {
      try {
        await probe.resolve4('ready.test');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`dnsmasq did not answer within ${START_TIMEOUT_MS} ms (${(err as NodeJS.ErrnoException).code}): ${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    server,
    log: () => output,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** A UDP socket on 127.0.0.1 that reads DNS queries and never answers: the "DNS server times out" case. */
export async function startSilentDns(): Promise<{ server: string; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  socket.on('message', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { server: `127.0.0.1:${socket.address().port}`, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
