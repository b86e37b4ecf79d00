// Scale-out (SPEC §6): two relay processes behind HAProxy (mode tcp, send-proxy-v2, health checks). The relays
// see the real client address, apply per-address limits to it, and one relay's death loses nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../../bench/loadgen.js';
import { RawClient } from './raw-client.js';
import { KEY, RelayChild, outboxIds, waitUntil, writeRelayConfig } from './relay-child.js';
import { requireTool } from '../support/system-tools.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Node {
  dir: string;
  config: string;
  relay: RelayChild | null;
  port: number;
}

export interface ScaleOutFigures {
  sessionsChecked: number;
  /** Sessions whose relay log line showed the client's own address and source port, proxied. */
  addressesSeen: number;
  sessionsPerRelay: [number, number];
  /** Per-address limit: connections from 127.0.0.2 refused 421 4.7.0, from 127.0.0.3 all greeted. */
  limitedRefused: number;
  limitedGreeted: number;
  otherGreeted: number;
  otherSent: number;
  beforeKill: { acked: number; attempted: number; errors: Record<string, number> };
  afterKill: { acked: number; attempted: number; errors: Record<string, number> };
  lost: string[];
  deliveredBy: [number, number];
}

export async function runScaleOut(o: { messagesBeforeKill: number; messagesAfterKill: number; rate: number; perAddressLimit: number }): Promise<ScaleOutFigures> {
  const root = await mkdtemp(join(tmpdir(), 'txrelay-haproxy-'));
  const nodes: Node[] = [];
  let haproxy: ChildProcess | null = null;
  const clients: RawClient[] = [];
  try {
    for (const name of ['r1', 'r2']) {
      const dir = join(root, name);
      await mkdir(dir);
      const config = await writeRelayConfig({ dir, proxyTrusted: ['127.0.0.1'], limits: { maxConnectionsPerAddress: o.perAddressLimit } });
      const started = await RelayChild.start(config);
      nodes.push({ dir, config, relay: started.relay, port: started.port });
    }
    const front = await freePort();
    const cfg = join(root, 'haproxy.cfg');
    await writeFile(cfg, [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode tcp',
      '  timeout connect 1s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  retries 3',
      '  option redispatch',
      'frontend smtp',
      `  bind 127.0.0.1:${front}`,
      '  default_backend relays',
      'backend relays',
      '  balance roundrobin',
      ...nodes.map((n, i) => `  server r${i + 1} 127.0.0.1:${n.port} send-proxy-v2 check check-send-proxy inter 300 fall 2 rise 2`),
      '',
    ].join('\n'));
    const proxy = spawn(requireTool('haproxy'), ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    haproxy = proxy;
    let haproxyErr = '';
    let ended: string | null = null; // why haproxy is gone, if it is
    proxy.stderr!.on('data', (c: Buffer) => (haproxyErr += c.toString()));
    proxy.once('error', (err) => (ended ??= `did not start: ${err.message}`));
    proxy.once('close', (code, signal) => (ended ??= `exited with ${code ?? signal}`)); // after stderr is read to the end
    // Polls for the greeting through HAProxy; a haproxy that exits (bad configuration, port taken) ends the wait at once.
    const up = await waitUntil(async () => {
      if (ended !== null) return true;
      const c = new RawClient(front);
      try {
        await c.waitFor(/^220 /m, 500);
        return true;
      } catch {
        return false;
      } finally {
        c.destroy();
      }
    }, 10_000, 100);
    if (ended !== null) throw new Error(`haproxy ${ended} before it listened: ${haproxyErr}`);
    if (!up) throw new Error(`haproxy did not come up: ${haproxyErr}`);

    // 1. Client addresses: the relays log the client's own address and port, not HAProxy's.
    const ports: number[] = [];
    for (let i = 0; i < 10; i++) {
      const c = new RawClient(front, { localAddress: '127.0.0.2' });
      await c.waitFor(/^220 /m);
      ports.push(c.localPort);
      c.write('QUIT\r\n');
      await c.waitClosed();
    }
    const sessionLine = (port: number) => (l: Record<string, unknown>) => l['msg'] === 'smtp session' && l['remotePort'] === port;
    let addressesSeen = 0;
    const perRelay: [number, number] = [0, 0];
    for (const port of ports) {
      const line = await Promise.race(nodes.map((n) => n.relay!.waitFor(sessionLine(port), `session from port ${port}`, 5000).catch(() => null)));
      const where = nodes.findIndex((n) => n.relay!.lines.some(sessionLine(port)));
      if (where >= 0) perRelay[where]!++;
      if (line && line['remoteAddress'] === '127.0.0.2' && line['proxied'] === true) addressesSeen++;
    }

    // 2. Per-address limits count the real client: 127.0.0.2 over the limit is refused, 127.0.0.3 is not.
    const limited: RawClient[] = [];
    const attempts = 2 * (o.perAddressLimit + 2);
    for (let i = 0; i < attempts; i++) {
      const c = new RawClient(front, { localAddress: '127.0.0.2' });
      clients.push(c);
      limited.push(c);
      await c.waitFor(/^(220|421) /m);
    }
    const other: RawClient[] = [];
    for (let i = 0; i < 2; i++) {
      const c = new RawClient(front, { localAddress: '127.0.0.3' });
      clients.push(c);
      other.push(c);
      await c.waitFor(/^(220|421) /m);
    }
    const limitedRefused = limited.filter((c) => /^421 4\.7\.0/m.test(c.text)).length;
    const limitedGreeted = limited.filter((c) => /^220 /m.test(c.text)).length;
    const otherGreeted = other.filter((c) => /^220 /m.test(c.text)).length;
    for (const c of clients.splice(0)) c.destroy();
    await sleep(300);

    // 3. One relay killed under load: the other keeps accepting; every acked message is delivered by one of the two.
    const sessions = Math.max(1, Math.min(3, o.perAddressLimit - 2));
    const loadA = runLoad({ port: front, sessions, count: o.messagesBeforeKill, rate: o.rate, messagesPerConnection: 5, headerApiKey: KEY, messageSize: 1024, timeLimitMs: 120_000 });
    await sleep(Math.floor((o.messagesBeforeKill / o.rate) * 500));
    await nodes[0]!.relay!.kill9();
    nodes[0]!.relay = null;
    const a = await loadA;
    await sleep(1000); // HAProxy's checks (inter 300, fall 2) mark r1 down
    const b = await runLoad({ port: front, sessions, count: o.messagesAfterKill, rate: o.rate, messagesPerConnection: 5, headerApiKey: KEY, messageSize: 1024, timeLimitMs: 120_000 });
    // r1 comes back on its own spool (a new port; HAProxy does not need it) and delivers what it had accepted.
    const again = await RelayChild.start(nodes[0]!.config);
    nodes[0]!.relay = again.relay;
    const acked = [...a.acked, ...b.acked];
    const outboxes = nodes.map((n) => join(n.dir, 'outbox'));
    const union = async (): Promise<Set<string>> => {
      const s = new Set<string>();
      for (const ob of outboxes) for (const id of (await outboxIds(ob)).keys()) s.add(id);
      return s;
    };
    await waitUntil(async () => {
      const s = await union();
      return acked.every((id) => s.has(id));
    }, 30_000, 200);
    const delivered = await union();
    const deliveredBy: [number, number] = [(await outboxIds(outboxes[0]!)).size, (await outboxIds(outboxes[1]!)).size];
    return {
      sessionsChecked: ports.length,
      addressesSeen,
      sessionsPerRelay: perRelay,
      limitedRefused,
      limitedGreeted,
      otherGreeted,
      otherSent: other.length,
      beforeKill: { acked: a.acked.length, attempted: a.attempted, errors: a.errors },
      afterKill: { acked: b.acked.length, attempted: b.attempted, errors: b.errors },
      lost: acked.filter((id) => !delivered.has(id)),
      deliveredBy,
    };
  } finally {
    for (const c of clients) c.destroy();
    if (haproxy) {
      haproxy.kill('SIGKILL');
      await new Promise((r) => (haproxy!.exitCode !== null || haproxy!.signalCode !== null ? r(null) : haproxy!.once('exit', r)));
    }
    for (const n of nodes) if (n.relay) await n.relay.kill9();
    await rm(root, { recursive: true, force: true });
  }
}
