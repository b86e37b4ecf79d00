// Debian's dnsmasq on a loopback port as the relay-mx suite's DNS server (the tests' twin is
// test/delivery/mx/dnsmasq.ts): MX and A records from its command line, nothing else answered.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { existsSync } from 'node:fs';

export const DNSMASQ = '/usr/sbin/dnsmasq';

export interface BenchDns {
  /** "127.0.0.1:<port>", for the route's dnsServers. */
  server: string;
  close(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Starts dnsmasq with `records` and resolves once it answers; a few ports are tried (TCP may be taken). */
export async function startDnsmasq(records: string[]): Promise<BenchDns> {
  if (!existsSync(DNSMASQ)) throw new Error(`${DNSMASQ} is not installed`);
  let lastError = '';
  for (let tries = 0; tries < 5; tries++) {
    const port = await freeUdpPort();
    const args = ['--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--local=/test/', '--pid-file=', '--host-record=ready.test,127.0.0.1', ...records];
    const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const probe = new dns.Resolver({ timeout: 200, tries: 1 });
    probe.setServers([`127.0.0.1:${port}`]);
    for (let i = 0; i < 50 && child.exitCode === null; i++) {
      try {
        await probe.resolve4('ready.test');
        return {
          server: `127.0.0.1:${port}`,
          close: async () => {
            if (child.exitCode !== null) return;
            const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
            child.kill('SIGTERM');
            await gone;
          },
        };
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    child.kill('SIGKILL');
    lastError = stderr;
  }
  throw new Error(`dnsmasq did not start: ${lastError}`);
}
