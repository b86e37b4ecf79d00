// The mx route end to end (issue 15 §4): the load generator sends to the relay, whose `mx` route looks up each of 50
// recipient domains at dnsmasq and delivers to its MX host, Postfix's smtp-sink on 5 loopback addresses (10 domains
// each, every domain its own MX name, so 50 destinations). Accepted msgs/s at the client; delivered msgs/s until the
// sinks have every accepted message; relay CPU per message (every thread: DKIM workers included). Without DKIM,
// with Ed25519 and with RSA-2048 signing, each beside the relay's smtp route to one smtp-sink in the same run. Then
// p99 reply-to-end-of-DATA at 1,000 msgs/s offered, RSA-signed beside unsigned (signing must not block sessions).
// Skipped, with a message, when smtp-sink or dnsmasq is missing. Then, as root with Postfix installed, Postfix as a
// relay to the same sinks through the same records (a private instance, bench/servers/postfix-instance.ts), beside
// the mx route without DKIM: accepted and delivered msgs/s, CPU per message of all its processes.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promises as dnsPromises } from 'node:dns';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { errorSummary } from '../load-measure.js';
import { runLoad, type LoadOptions, type LoadResult } from '../loadgen.js';
import type { RelayChildOptions } from '../relay/relay-child.js';
import { startUpstream, type Upstream } from '../relay/upstream.js';
import { cpuMicrosBetween, startServerChild } from '../servers/child.js';
import { DNSMASQ, startDnsmasq } from '../servers/dnsmasq.js';
import { SMTP_SINK, freePort } from '../servers/smtp-sink.js';
import { POSTFIX, startPostfixInstance } from '../servers/postfix-instance.js';

const SUITE = 'relay-mx';
const API_KEY = 'txr_bench_key_000000000000000000000000000000000';
const RELAY = new URL('../relay/relay-child.js', import.meta.url);
const DOMAINS = 50;
const SINKS = 5;

const domain = (d: number): string => `d${String(d).padStart(2, '0')}.bench.test`;

interface Delivery {
  load: LoadResult;
  deliveredPerSec: number;
  delivered: number;
  cpuPerMessage: number;
}

/** Warm-up (half the load, delivered too), then the measured run until `received()` has every accepted message. */
async function measureDelivery(options: RelayChildOptions, received: () => number, load: Omit<LoadOptions, 'port'>, count: number): Promise<Delivery> {
  const relay = await startServerChild(RELAY, options);
  const until = async (n: number, timeoutMs: number): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    while (received() < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return performance.now();
  };
  try {
    const base0 = received();
    const warmup = await runLoad({ ...load, count: Math.max(500, Math.floor(count / 2)), port: relay.port, timeLimitMs: 120_000 });
    await until(base0 + warmup.messages, 120_000);
    const base = received();
    const before = await relay.stats();
    const started = performance.now();
    const result = await runLoad({ ...load, count, port: relay.port, timeLimitMs: 600_000 });
    const ended = await until(base + result.messages, 300_000);
    const after = await relay.stats();
    const delivered = received() - base;
    return { load: result, delivered, deliveredPerSec: delivered / ((ended - started) / 1000), cpuPerMessage: cpuMicrosBetween(before, after) / Math.max(1, delivered) };
  } finally {
    await relay.stop();
  }
}

/** Where Postfix's resolver finds the records: the C resolver takes no port, so port 53 of a loopback address. */
const POSTFIX_DNS = '127.0.3.53';
const POSTFIX_LISTEN = '127.0.3.1';

/**
 * dnsmasq on POSTFIX_DNS:53 with `records` (bench/servers/dnsmasq.ts binds 127.0.0.1 on a free port, which
 * Postfix cannot be pointed at); resolves once it answers.
 */
async function startDnsmasqOn53(records: string[]): Promise<{ close(): void }> {
  const args = ['--no-daemon', '--port=53', `--listen-address=${POSTFIX_DNS}`, '--bind-interfaces', '--no-resolv', '--no-hosts', '--local=/test/', '--pid-file=', '--host-record=ready.test,127.0.0.1', ...records];
  const child = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const probe = new dnsPromises.Resolver({ timeout: 200, tries: 1 });
  probe.setServers([POSTFIX_DNS]);
  for (let i = 0; ; i++) {
    try {
      await probe.resolve4('ready.test');
      return { close: () => void child.kill('SIGTERM') };
    } catch {
      if (child.exitCode !== null || i >= 50) {
        child.kill('SIGKILL');
        throw new Error(`dnsmasq on ${POSTFIX_DNS}:53 did not answer: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Why Postfix cannot be measured here, or null. */
function postfixMissing(): string | null {
  if (!existsSync(POSTFIX)) return `${POSTFIX} not installed (apt-get install postfix)`;
  if (process.getuid?.() !== 0) return 'a private Postfix instance needs root (and unshare, to give it its own resolv.conf)';
  return null;
}

/**
 * Postfix as a relay: the load generator sends to its smtpd, its smtp client looks the MX records up at dnsmasq (the
 * same records) and delivers to the same sinks. Warm-up and measured run as measureDelivery; CPU is that of the
 * master and every daemon it started (smtpd, cleanup, qmgr, smtp, trivial-rewrite, ...), not of dnsmasq.
 */
async function measurePostfixRelay(records: string[], sinkPort: number, received: () => number, load: Omit<LoadOptions, 'port'>, count: number): Promise<Delivery> {
  const dns = await startDnsmasqOn53(records);
  const port = await freePort();
  const postfix = await startPostfixInstance({
    host: POSTFIX_LISTEN,
    port,
    resolvConf: `nameserver ${POSTFIX_DNS}\noptions timeout:1 attempts:2\n`,
    main: {
      myhostname: 'relay.bench.test',
      // The sinks' port for every MX host, as the mx route's `port`; plain text, as the route's tls "none".
      smtp_tcp_port: String(sinkPort),
      smtp_tls_security_level: 'none',
      // The mx route's maxConnectionsPerDestination default.
      default_destination_concurrency_limit: '10',
      smtpd_relay_restrictions: 'permit_mynetworks, reject',
    },
  });
  const until = async (n: number, timeoutMs: number): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    while (received() < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return performance.now();
  };
  try {
    const base0 = received();
    const warmup = await runLoad({ ...load, count: Math.max(500, Math.floor(count / 2)), host: POSTFIX_LISTEN, port, timeLimitMs: 120_000 });
    await until(base0 + warmup.messages, 120_000);
    const base = received();
    const before = postfix.cpuMicros();
    const started = performance.now();
    const result = await runLoad({ ...load, count, host: POSTFIX_LISTEN, port, timeLimitMs: 600_000 });
    const ended = await until(base + result.messages, 300_000);
    const cpu = postfix.cpuMicros() - before;
    const delivered = received() - base;
    if (delivered < result.messages) throw new Error(`Postfix relayed ${delivered} of ${result.messages} messages within 300 s; its log ends:\n${(await postfix.log()).slice(-2000)}`);
    return { load: result, delivered, deliveredPerSec: delivered / ((ended - started) / 1000), cpuPerMessage: cpu / Math.max(1, delivered) };
  } finally {
    await postfix.stop();
    dns.close();
  }
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const missing = [SMTP_SINK, DNSMASQ].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    ctx.progress(`${SUITE}: skipped: ${missing.join(' and ')} not installed (apt-get install postfix dnsmasq-base)`);
    return [];
  }
  const count = ctx.quick ? 2000 : 20000;
  const latencyCount = ctx.quick ? 2000 : 10000;
  const keysDir = mkdtempSync(join(tmpdir(), 'txrelay-bench-mx-'));
  const sinkPort = await freePort();
  const sinks: Upstream[] = [];
  let smarthost: Upstream | null = null;
  let dns: Awaited<ReturnType<typeof startDnsmasq>> | null = null;
  try {
    for (let k = 0; k < SINKS; k++) sinks.push(await startUpstream({ host: `127.0.2.${k + 1}`, port: sinkPort }));
    const records: string[] = [];
    for (let d = 0; d < DOMAINS; d++) records.push(`--mx-host=${domain(d)},mx.${domain(d)},10`, `--host-record=mx.${domain(d)},127.0.2.${(d % SINKS) + 1}`);
    // dnsmasq answers its own records with TTL 0 unless told otherwise, and the resolver honours a TTL of 0 (no
    // caching): every message then cost an A and an AAAA query (~125 µs of relay CPU). MX hosts on the Internet have
    // TTLs of minutes to hours; 300 s is what this suite means to measure.
    records.push('--local-ttl=300');
    dns = await startDnsmasq(records);
    smarthost = await startUpstream();
    const sinkTotal = (): number => sinks.reduce((a, s) => a + s.received(), 0);
    const keys = {
      'Ed25519': { algorithm: 'ed25519-sha256' as const, pem: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
      'RSA-2048': { algorithm: 'rsa-sha256' as const, pem: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    };
    const dkimOf = (label: keyof typeof keys): RelayChildOptions['dkim'] => {
      const file = join(keysDir, `${label}.pem`);
      writeFileSync(file, keys[label].pem, { mode: 0o600 });
      return { algorithm: keys[label].algorithm, privateKeyFile: file, domain: 'example.com' };
    };
    const load: Omit<LoadOptions, 'port'> = {
      sessions: 20, count, messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048, headerApiKey: API_KEY,
      recipient: (i) => `u${i}@${domain(i % DOMAINS)}`,
    };
    const mxOptions = { apiKey: API_KEY, hold: false, mx: { port: sinkPort, dnsServer: dns.server } };
    const n = count.toLocaleString('en-US');

    ctx.progress(`${SUITE}: ${n} x 2 KB, 20 sessions, smtp route to ${smarthost.name} (the same-run reference)`);
    const up = smarthost;
    const smtp = await measureDelivery({ apiKey: API_KEY, hold: false, upstreamPort: up.port }, () => up.received(), load, count);
    ctx.progress(`${SUITE}:   smtp route: accepted ${smtp.load.msgsPerSec.toFixed(0)} msgs/s, delivered ${smtp.deliveredPerSec.toFixed(0)} msgs/s, relay CPU ${smtp.cpuPerMessage.toFixed(0)} µs/msg, errors ${errorSummary(smtp.load)}`);

    const rows: BenchRow[] = [];
    let unsigned: Delivery | null = null;
    for (const signing of ['none', 'Ed25519', 'RSA-2048'] as const) {
      const title = `${n} x 2 KB, 20 sessions, mx route to ${DOMAINS} domains (smtp-sink via dnsmasq), DKIM ${signing === 'none' ? 'off' : signing}`;
      ctx.progress(`${SUITE}: ${title}`);
      const options = signing === 'none' ? mxOptions : { ...mxOptions, dkim: dkimOf(signing) };
      const mx = await measureDelivery(options, sinkTotal, load, count);
      if (signing === 'none') unsigned = mx;
      ctx.progress(
        `${SUITE}:   mx route: accepted ${mx.load.messages} at ${mx.load.msgsPerSec.toFixed(0)} msgs/s, delivered ${mx.delivered} at ${mx.deliveredPerSec.toFixed(0)} msgs/s, ` +
          `relay CPU ${mx.cpuPerMessage.toFixed(0)} µs/msg, errors ${errorSummary(mx.load)}`,
      );
      const peer = (value: number): { name: string; value: number } => ({ name: 'smtp route to smtp-sink (same run)', value });
      const extra = { delivered: mx.delivered, 'accepted errors': errorSummary(mx.load), 'smtp route relay CPU µs/msg': smtp.cpuPerMessage };
      rows.push(
        { suite: SUITE, name: `${title}: accepted`, unit: 'msgs/s', ours: mx.load.msgsPerSec, peer: peer(smtp.load.msgsPerSec), higherIsBetter: true, extra },
        { suite: SUITE, name: `${title}: delivered (until the sinks have every message)`, unit: 'msgs/s', ours: mx.deliveredPerSec, peer: peer(smtp.deliveredPerSec), higherIsBetter: true, extra },
        { suite: SUITE, name: `${title}: relay CPU per message (accept + sign + deliver)`, unit: 'µs/msg', ours: mx.cpuPerMessage, peer: peer(smtp.cpuPerMessage), higherIsBetter: false },
      );
    }

    const whyNoPostfix = postfixMissing();
    if (whyNoPostfix !== null) {
      ctx.progress(`${SUITE}: Postfix as a relay not measured: ${whyNoPostfix}`);
    } else if (unsigned !== null) {
      const title = `${n} x 2 KB, 20 sessions, to ${DOMAINS} domains (smtp-sink via dnsmasq), DKIM off, mx route vs Postfix relaying`;
      ctx.progress(`${SUITE}: ${title}: Postfix (private instance, same records, same sinks)`);
      const pf = await measurePostfixRelay(records, sinkPort, sinkTotal, load, count);
      ctx.progress(
        `${SUITE}:   Postfix: accepted ${pf.load.messages} at ${pf.load.msgsPerSec.toFixed(0)} msgs/s, delivered ${pf.delivered} at ${pf.deliveredPerSec.toFixed(0)} msgs/s, ` +
          `CPU ${pf.cpuPerMessage.toFixed(0)} µs/msg (all its processes; 10 ms tick resolution), errors ${errorSummary(pf.load)}`,
      );
      const peer = (value: number): { name: string; value: number } => ({ name: 'Postfix as a relay (same run)', value });
      const extra = { 'Postfix delivered': pf.delivered, 'Postfix accepted errors': errorSummary(pf.load) };
      rows.push(
        { suite: SUITE, name: `${title}: accepted`, unit: 'msgs/s', ours: unsigned.load.msgsPerSec, peer: peer(pf.load.msgsPerSec), higherIsBetter: true, extra },
        { suite: SUITE, name: `${title}: delivered (until the sinks have every message)`, unit: 'msgs/s', ours: unsigned.deliveredPerSec, peer: peer(pf.deliveredPerSec), higherIsBetter: true, extra },
        { suite: SUITE, name: `${title}: relay CPU per message`, unit: 'µs/msg', ours: unsigned.cpuPerMessage, peer: peer(pf.cpuPerMessage), higherIsBetter: false },
      );
    }

    // Latency at a steady offered load (not saturation): RSA signing in the workers must not hold up the sessions.
    const rateLoad = { ...load, count: latencyCount, rate: 1000 };
    const latency = async (label: string, options: RelayChildOptions): Promise<LoadResult> => {
      ctx.progress(`${SUITE}: ${latencyCount.toLocaleString('en-US')} x 2 KB offered at 1,000 msgs/s, mx route, ${label}`);
      const r = await measureDelivery(options, sinkTotal, rateLoad, latencyCount);
      ctx.progress(`${SUITE}:   ${label}: p50 ${r.load.latencyMs.p50.toFixed(2)} ms, p99 ${r.load.latencyMs.p99.toFixed(2)} ms, p99.9 ${r.load.latencyMs.p999.toFixed(2)} ms, errors ${errorSummary(r.load)}`);
      return r.load;
    };
    const plain = await latency('DKIM off', mxOptions);
    const rsa = await latency('DKIM RSA-2048', { ...mxOptions, dkim: dkimOf('RSA-2048') });
    const pct = { 'RSA p50 ms': rsa.latencyMs.p50, 'RSA p99.9 ms': rsa.latencyMs.p999, 'unsigned p50 ms': plain.latencyMs.p50, 'unsigned p99.9 ms': plain.latencyMs.p999, 'RSA errors': errorSummary(rsa), 'unsigned errors': errorSummary(plain) };
    rows.push({
      suite: SUITE,
      name: `${latencyCount.toLocaleString('en-US')} x 2 KB offered at 1,000 msgs/s, mx route: p99 final dot to reply, RSA-2048 signing (peer: unsigned)`,
      unit: 'ms',
      ours: rsa.latencyMs.p99,
      peer: { name: 'the same relay, DKIM off', value: plain.latencyMs.p99 },
      higherIsBetter: false,
      extra: pct,
    });
    return rows;
  } finally {
    await smarthost?.close();
    await Promise.all(sinks.map((s) => s.close()));
    await dns?.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
