// Open and click tracking under load (issue 18): a real relay in a child process, with tracking on and its public
// listener, delivers 20 messages x 50 recipients to a file route; then a load generator (node:http, 50 keep-alive
// connections over loopback) fetches 10,000 open pixels and follows 10,000 click links (1,000 each in --quick) of
// those 1,000 (message, recipient) pairs. Reported: requests/s, p50/p99 latency as the client sees it, and the relay's
// CPU per request (its process alone). Checked, not timed: every request answered 200 (pixel) or 302 (click), and the
// event log holds exactly one opened or clicked event per request (none lost, none doubled). The peer, measured the
// same way in the same run, is a bare node:http server answering the same GIF and a fixed 302: the floor of any
// Node HTTP endpoint on this machine, so the ratio shows what token, record, machine check and event cost.
// The child side is this same file (forked with IPC), as bench/relay/relay-child.ts does for the SMTP suites.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { percentile } from '../loadgen/load-stats.js';
import { cpuMicrosBetween, startServerChild, type ServerChild } from '../servers/child.js';
import { serveInChild, type ListeningServer } from '../servers/serve-in-child.js';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { validateConfig } from '../../src/relay/config/index.js';
import { startRelay } from '../../src/relay/main.js';
import { EventLog, type EventType } from '../../src/relay/storage/event-log.js';

const SUITE = 'tracking';
const API_KEY = 'txr_bench_tracking_key_0000000000000000000000';
const MESSAGES = 20;
const RECIPIENTS = 50;
const CONCURRENCY = 50;
const HTML =
  '<!DOCTYPE html><html><body><h1>Your order</h1>' +
  '<p>Thank you for your order. <a href="https://shop.example/orders/42?src=mail">See it</a>.</p>'.repeat(5) +
  '<p><a href="https://shop.example/help">Help</a></p></body></html>';

interface ChildOptions {
  dir: string;
  /** Serve the bare node:http peer instead of the relay. */
  peer?: boolean;
}

/** The peer: node:http alone, the relay's pixel for "/o/...", a 302 for "/c/...", no token, no record, no event. */
async function startPeer(): Promise<ListeningServer> {
  const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/o/')) res.writeHead(200, { 'content-type': 'image/gif', 'content-length': gif.length, 'cache-control': 'no-store' }).end(gif);
    else res.writeHead(302, { location: 'https://shop.example/orders/42?src=mail', 'content-length': 0 }).end();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The tracked paths ("/o/...", "/c/...") of every delivered copy, written by the child for the parent. */
interface TrackedPaths {
  pixels: string[];
  clicks: string[];
}

/** Child: starts the relay, sends the messages through its SMTP listener, collects the tracked paths from the outbox. */
async function startChild(o: ChildOptions): Promise<ListeningServer> {
  if (o.peer) return startPeer();
  const outbox = join(o.dir, 'outbox');
  const { config, errors } = validateConfig(
    {
      hostname: 'bench.relay',
      listeners: [{ port: 0, host: '127.0.0.1' }],
      dataDir: join(o.dir, 'data'),
      logLevel: 'silent',
      publicHttp: { port: 0, host: '127.0.0.1' },
      accounts: [
        {
          id: 'bench',
          apiKeys: [hashApiKey(API_KEY)],
          routes: { outbox: { type: 'file', path: outbox } },
          tracking: { opens: true, clicks: true, baseUrl: 'https://t.bench.example' },
        },
      ],
    },
    o.dir,
  );
  if (!config) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  const relay = await startRelay(config, pino({ level: 'silent' }));
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: relay.addresses[0]!.port, secure: false, ignoreTLS: true });
  try {
    for (let m = 0; m < MESSAGES; m++) {
      const to = Array.from({ length: RECIPIENTS }, (_, r) => `reader${m}-${r}@example.net`);
      await transport.sendMail({ from: 'shop@example.com', to, subject: `order ${m}`, html: HTML, headers: { 'X-Auth-APIKey': API_KEY, 'X-Transactional-Tag': 'orders' } });
    }
  } finally {
    transport.close();
  }
  const total = MESSAGES * RECIPIENTS;
  const deadline = Date.now() + 60_000;
  let files: string[] = [];
  while ((files = readdirSafe(outbox).filter((f) => f.endsWith('.eml'))).length < total) {
    if (Date.now() > deadline) throw new Error(`only ${files.length} of ${total} messages delivered to the outbox`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const paths: TrackedPaths = { pixels: [], clicks: [] };
  for (const f of files) {
    const html = (await simpleParser(readFileSync(join(outbox, f)))).html || '';
    const pixel = /src="https:\/\/t\.bench\.example(\/o\/[A-Za-z0-9_-]+)"/.exec(html);
    const click = /href="https:\/\/t\.bench\.example(\/c\/[A-Za-z0-9_-]+)"/.exec(html);
    if (!pixel || !click) throw new Error(`${f}: no tracked pixel or link`);
    paths.pixels.push(pixel[1]!);
    paths.clicks.push(click[1]!);
  }
  writeFileSync(join(o.dir, 'paths.json'), JSON.stringify(paths));
  return { port: relay.publicHttp!.port, close: () => relay.stop() };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

interface HttpLoadResult {
  requests: number;
  seconds: number;
  latencyMs: { p50: number; p99: number };
  /** Answers by status ("200": 10000); "error" for a failed request. */
  statuses: Record<string, number>;
}

/** `count` GETs of paths[i % paths.length], `concurrency` at a time over kept-alive connections. */
async function httpLoad(port: number, paths: readonly string[], count: number, concurrency: number): Promise<HttpLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = new Float64Array(count);
  const statuses: Record<string, number> = {};
  let next = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = request({ host: '127.0.0.1', port, path: paths[i % paths.length], agent, headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36' } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies[i] = performance.now() - started;
          statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
          resolve();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        latencies[i] = performance.now() - started;
        statuses['error'] = (statuses['error'] ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  const sorted = latencies.slice().sort();
  return { requests: count, seconds, latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) }, statuses };
}

async function countEvents(dataDir: string, type: EventType): Promise<number> {
  const log = await EventLog.open(join(dataDir, 'events'));
  try {
    let n = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await log.read({ type, limit: 1000, ...(cursor ? { cursor } : {}) });
      n += page.events.length;
      if (page.next === null) return n;
      cursor = page.next;
    }
  } finally {
    await log.close();
  }
}

interface Measured {
  result: HttpLoadResult;
  /** The server process's CPU per request, µs. */
  cpu: number;
  /** Requests answered `ok` (warm-up included). */
  answered: number;
}

/** A warm-up, then the measured load against a server child; throws unless every answer is `ok`. */
async function measure(child: ServerChild, list: readonly string[], ok: string, count: number, warmup: number, what: string): Promise<Measured> {
  const w = await httpLoad(child.port, list, warmup, CONCURRENCY);
  const before = await child.stats();
  const r = await httpLoad(child.port, list, count, CONCURRENCY);
  const after = await child.stats();
  for (const [phase, statuses] of [['warm-up', w.statuses], ['load', r.statuses]] as const) {
    if (Object.keys(statuses).some((s) => s !== ok)) throw new Error(`${what}: ${phase} answers other than ${ok}: ${JSON.stringify(statuses)}`);
  }
  return { result: r, cpu: cpuMicrosBetween(before, after) / r.requests, answered: (w.statuses[ok] ?? 0) + (r.statuses[ok] ?? 0) };
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const count = ctx.quick ? 1_000 : 10_000;
  const warmup = ctx.quick ? 200 : 1_000;
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-bench-tracking-'));
  const rows: BenchRow[] = [];
  const script = fileURLToPath(import.meta.url);
  try {
    const relay = await startServerChild(script, { dir } satisfies ChildOptions, { startTimeoutMs: 120_000 });
    const sent: Record<'opened' | 'clicked', number> = { opened: 0, clicked: 0 };
    const measured: { kind: string; ours: Measured }[] = [];
    try {
      const paths = JSON.parse(readFileSync(join(dir, 'paths.json'), 'utf8')) as TrackedPaths;
      for (const [kind, list, event, ok] of [['open pixel', paths.pixels, 'opened', '200'], ['click', paths.clicks, 'clicked', '302']] as const) {
        const ours = await measure(relay, list, ok, count, warmup, kind);
        sent[event] += ours.answered;
        measured.push({ kind, ours });
      }
    } finally {
      await relay.stop(30_000);
    }
    const peer = await startServerChild(script, { dir, peer: true } satisfies ChildOptions);
    const peers: Measured[] = [];
    try {
      const paths = JSON.parse(readFileSync(join(dir, 'paths.json'), 'utf8')) as TrackedPaths;
      peers.push(await measure(peer, paths.pixels, '200', count, warmup, 'peer pixel'), await measure(peer, paths.clicks, '302', count, warmup, 'peer click'));
    } finally {
      await peer.stop();
    }
    measured.forEach(({ kind, ours }, i) => {
      const p = peers[i]!;
      const r = ours.result;
      const rps = r.requests / r.seconds;
      const peerRps = p.result.requests / p.result.seconds;
      ctx.progress(
        `${SUITE}: ${kind}: ${r.requests} requests over ${CONCURRENCY} keep-alive connections in ${r.seconds.toFixed(2)} s = ${rps.toFixed(0)} req/s, ` +
          `p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, relay CPU ${ours.cpu.toFixed(1)} µs/request ` +
          `(bare node:http: ${peerRps.toFixed(0)} req/s, p99 ${p.result.latencyMs.p99.toFixed(2)} ms, ${p.cpu.toFixed(1)} µs/request)`,
      );
      const title = `${kind}, ${count.toLocaleString('en-US')} requests, ${CONCURRENCY} keep-alive connections`;
      const extra = { 'ours p50 ms': r.latencyMs.p50, 'ours p99 ms': r.latencyMs.p99, 'peer p50 ms': p.result.latencyMs.p50, 'peer p99 ms': p.result.latencyMs.p99 };
      const PEER = 'bare node:http';
      rows.push(
        { suite: SUITE, name: `${title}: throughput`, unit: 'req/s', ours: rps, peer: { name: PEER, value: peerRps }, higherIsBetter: true, extra },
        { suite: SUITE, name: `${title}: p99 latency`, unit: 'ms', ours: r.latencyMs.p99, peer: { name: PEER, value: p.result.latencyMs.p99 }, higherIsBetter: false },
        { suite: SUITE, name: `${title}: server CPU per request`, unit: 'µs/req', ours: ours.cpu, peer: { name: PEER, value: p.cpu }, higherIsBetter: false },
      );
    });
    // The relay has stopped (its event log flushed): one event per answered request, none lost.
    for (const event of ['opened', 'clicked'] as const) {
      const logged = await countEvents(join(dir, 'data'), event);
      ctx.progress(`${SUITE}: ${event}: ${logged} events in the log for ${sent[event]} answered requests`);
      if (logged !== sent[event]) throw new Error(`${event}: ${logged} events in the log for ${sent[event]} requests answered`);
      rows.push({ suite: SUITE, name: `${event} events logged per answered request (must be 1)`, unit: 'ratio', ours: logged / sent[event], higherIsBetter: true, extra: { events: logged, requests: sent[event] } });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.send && process.argv[1]?.endsWith(`${SUITE}.js`)) serveInChild(startChild);

const suite: BenchSuite = { name: SUITE, run };
export default suite;
