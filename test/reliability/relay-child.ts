// A relay as operators run it (the CLI in a child process with a config file), its JSON log lines, its outbox,
// and a recording upstream smarthost with fault modes (flapping listener, slow replies, random 4xx/5xx).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { hashApiKey } from '../../src/relay/accept/api-key.js';

export const KEY = 'txr_reliability_key_00000000000000000000000000';
const cli = resolve('dist/src/cli.js');

export type LogLine = Record<string, unknown>;

export interface RelayConfigOptions {
  dir: string;
  /** Listener port (0 = any). */
  port?: number;
  /** `file` route into <dir>/outbox (default), or an `smtp` route to this upstream port. */
  upstreamPort?: number;
  dataDir?: string;
  outbox?: string;
  limits?: Record<string, unknown>;
  queue?: Record<string, unknown>;
  proxyTrusted?: string[];
  logLevel?: string;
}

/** Writes <dir>/relay.json and returns its path. */
export async function writeRelayConfig(o: RelayConfigOptions): Promise<string> {
  const route = o.upstreamPort !== undefined
    ? { type: 'smtp', host: '127.0.0.1', port: o.upstreamPort, tls: 'none', poolSize: 4 }
    : { type: 'file', path: o.outbox ?? join(o.dir, 'outbox') };
  const json = {
    hostname: 'relay.test',
    listeners: [{ port: o.port ?? 0, host: '127.0.0.1', authBeforeTls: true, ...(o.proxyTrusted ? { proxyProtocol: { trusted: o.proxyTrusted } } : {}) }],
    dataDir: o.dataDir ?? join(o.dir, 'data'),
    logLevel: o.logLevel ?? 'info',
    limits: { maxConnectionsPerAddress: 2000, maxConnections: 4000, shutdownGraceMs: 3000, ...(o.limits ?? {}) },
    queue: { retryMinMs: 50, retryMaxMs: 500, ...(o.queue ?? {}) },
    accounts: [{ id: 'r', name: 'Reliability', apiKeys: [hashApiKey(KEY)], routes: { main: route } }],
  };
  const file = join(o.dir, 'relay.json');
  await writeFile(file, JSON.stringify(json, null, 2));
  return file;
}

/** The CLI relay in a child process; log lines (JSON on stdout) are kept and can be awaited. */
export class RelayChild {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly child: ChildProcess;
  stderr = '';
  private waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  constructor(configFile: string) {
    this.child = spawn(process.execPath, [cli, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (c: Buffer) => {
      if (this.stderr.length < 65536) this.stderr += c.toString();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let obj: LogLine;
      try {
        obj = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      this.lines.push(obj);
      if (this.waiters.length > 0) this.waiters = this.waiters.filter((w) => (w.pred(obj) ? (w.resolve(obj), false) : true));
    });
    this.exited = new Promise((r) => {
      this.child.on('exit', (code, signal) => r({ code, signal }));
      // A spawn that fails emits 'error' (not 'exit' alone): count it as an exit, with the reason where stderr goes.
      this.child.on('error', (err) => {
        this.stderr += `spawn failed: ${err.message}\n`;
        r({ code: null, signal: null });
      });
    });
  }

  /** Spawns the relay and waits for its "listening" line; on failure the child is killed (no orphan keeps the test alive). */
  static async start(configFile: string, timeoutMs = 30_000): Promise<{ relay: RelayChild; port: number }> {
    const relay = new RelayChild(configFile);
    let listening: LogLine | null = null;
    const exitedEarly = relay.exited.then((e) => {
      if (listening === null) throw new Error(`relay exited before listening (${e.code ?? e.signal}): ${relay.stderr.slice(0, 2000)}`);
      return null;
    });
    exitedEarly.catch(() => undefined); // an exit after a start timeout is expected, not an unhandled rejection
    try {
      listening = await Promise.race([relay.waitFor((l) => l['msg'] === 'listening', 'listening', timeoutMs), exitedEarly]);
    } catch (err) {
      relay.child.kill('SIGKILL');
      await relay.exited;
      const tail = relay.lines.slice(-5).map((l) => JSON.stringify(l)).join('\n');
      throw new Error(`${(err as Error).message}\nlast log lines:\n${tail}\nstderr: ${relay.stderr.slice(0, 2000)}`);
    }
    return { relay, port: listening!['port'] as number };
  }

  waitFor(pred: (l: LogLine) => boolean, what: string, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line "${what}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolveLine(l)) });
    });
  }

  /** kill -9: no chance to flush anything. */
  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and the exit code, SIGKILL after `timeoutMs`. */
  async terminate(timeoutMs = 20_000): Promise<number | null> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const e = await this.exited;
    clearTimeout(timer);
    return e.code;
  }
}

/** Queue id → number of outbound files `<id>-<n>.eml` in a file route's folder (temp files ignored). */
export async function outboxIds(folder: string): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  let names: string[] = [];
  try {
    names = await readdir(folder);
  } catch {
    return ids;
  }
  for (const n of names) {
    const m = /^(.+)-(\d+)\.eml$/.exec(n);
    if (m) ids.set(m[1]!, (ids.get(m[1]!) ?? 0) + 1);
  }
  return ids;
}

/** Files of the outbox that are not whole messages (no header/body separator or no Message-ID of their id). */
export async function halfWrittenFiles(folder: string): Promise<string[]> {
  const bad: string[] = [];
  for (const n of (await readdir(folder).catch(() => [] as string[])).filter((x) => x.endsWith('.eml'))) {
    const text = await readFile(join(folder, n), 'latin1');
    const id = n.replace(/-\d+\.eml$/, '');
    if (!text.includes('\r\n\r\n') || !text.includes(`<${id}.`) || !text.endsWith('\r\n')) bad.push(n);
  }
  return bad;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

// ---- recording upstream with faults --------------------------------------------------------------------

export interface UpstreamFaults {
  /** Delay before each RCPT and end-of-DATA reply, ms (random in [0, slowMs]). */
  slowMs?: number;
  /** Per recipient: share answered 451 4.3.0 and share answered 550 5.1.1 (rest accepted). */
  tempFailRate?: number;
  permFailRate?: number;
}

/** Received Message-IDs (the relay's `<queueid>.<n>@host`), counted: a count above 1 is a duplicate delivery. */
export class RecordingUpstream {
  readonly received = new Map<string, number>();
  readonly rcptReplies = { ok: 0, temp: 0, perm: 0 };
  port = 0;
  faults: UpstreamFaults = {};
  private server: SMTPServer | null = null;
  private random: () => number;

  constructor(seed = 1) {
    // A small LCG so fault choices are reproducible from the seed.
    let s = seed >>> 0;
    this.random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  }

  private delay(cb: () => void): void {
    const ms = this.faults.slowMs ? Math.floor(this.random() * this.faults.slowMs) : 0;
    if (ms > 0) setTimeout(cb, ms);
    else cb();
  }

  private options(): SMTPServerOptions {
    return {
      logger: false,
      disableReverseLookup: true,
      closeTimeout: 50,
      hideSTARTTLS: true,
      authOptional: true,
      disabledCommands: ['AUTH'],
      size: 50 * 1024 * 1024,
      onRcptTo: (_address, _session, cb) => {
        this.delay(() => {
          const r = this.random();
          const temp = this.faults.tempFailRate ?? 0;
          const perm = this.faults.permFailRate ?? 0;
          if (r < temp) {
            this.rcptReplies.temp++;
            cb(Object.assign(new Error('4.3.0 try later'), { responseCode: 451 }));
          } else if (r < temp + perm) {
            this.rcptReplies.perm++;
            cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
          } else {
            this.rcptReplies.ok++;
            cb();
          }
        });
      },
      onData: (stream, _session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.delay(() => {
            const body = Buffer.concat(chunks).toString('latin1');
            const m = /^Message-ID:\s*<([^>]+)>/im.exec(body);
            const id = m ? m[1]! : '(none)';
            this.received.set(id, (this.received.get(id) ?? 0) + 1);
            cb(null, 'Ok');
          });
        });
      },
    };
  }

  /** Starts listening (on the same port as before after a stop(), so the relay's route keeps working). */
  async start(): Promise<void> {
    const server = new SMTPServer(this.options());
    server.on('error', () => undefined);
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolveListen, reject) => {
          server.server.once('error', reject);
          server.listen(this.port, '127.0.0.1', () => {
            server.server.off('error', reject);
            resolveListen();
          });
        });
        break;
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100)); // the port may linger a moment after close
      }
    }
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the listener and every connection. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Queue ids seen (the part of each Message-ID before the first dot) with their delivery counts per recipient. */
  queueIds(): Map<string, number> {
    const ids = new Map<string, number>();
    for (const [mid, n] of this.received) {
      const id = mid.split('.')[0]!;
      ids.set(id, (ids.get(id) ?? 0) + n);
    }
    return ids;
  }

  duplicates(): number {
    let d = 0;
    for (const n of this.received.values()) if (n > 1) d += n - 1;
    return d;
  }
}
