// Drives N concurrent sessions through `count` messages, like Postfix's smtp-source, and never hangs:
// a run-wide time limit abandons whatever is still in flight.
import { performance } from 'node:perf_hooks';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoadConnection, UnexpectedReplyError } from './load-connection.js';
import { LoadStats } from './load-stats.js';
import { resolveLoadOptions, type LoadOptions, type LoadResult, type ResolvedLoadOptions } from './options.js';
import { LoadConnectionError } from './reply-reader.js';

/** Counts a failure that ended a connection under its reply code or connection-error kind. */
function countFailure(stats: LoadStats, err: unknown): void {
  if (err instanceof UnexpectedReplyError) stats.error(String(err.reply.code), err.message);
  else if (err instanceof LoadConnectionError) stats.error(err.key, err.message);
  else stats.error('internal', err instanceof Error ? err.message : String(err));
}

/** Shared state of one run: which message comes next, when it is due, and which connections are live. */
class LoadRun {
  readonly stats: LoadStats;
  readonly live = new Set<LoadConnection>();
  private nextIndex = 0;
  private stopped = false;
  private readonly startedAt = performance.now();
  // Wakes sessions sleeping until their next due message when the time limit passes.
  private readonly stopSignal = new AbortController();

  constructor(readonly o: ResolvedLoadOptions) {
    this.stats = new LoadStats(o.count);
    // Every waiting session listens on the one stop signal: as many listeners as sessions, by design.
    setMaxListeners(o.sessions + 10, this.stopSignal.signal);
  }

  /** The next message index, or -1 when all are claimed or the time limit passed. */
  async claim(): Promise<number> {
    if (this.stopped || this.nextIndex >= this.o.count) return -1;
    const index = this.nextIndex++;
    if (this.o.rate !== undefined) {
      // Fixed offered rate: message i is due at start + i/rate, whichever session is free to send it.
      const due = this.startedAt + (index * 1000) / this.o.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      if (this.stopped) return -1;
    }
    return index;
  }

  stop(): void {
    this.stopped = true;
    this.stopSignal.abort();
    for (const c of this.live) c.abort('timeout:run');
  }

  elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }
}

async function session(run: LoadRun): Promise<void> {
  const { o, stats, live } = run;
  const perConnection = o.messagesPerConnection > 0 ? o.messagesPerConnection : Infinity;
  let conn: LoadConnection | null = null;
  let sentOnConn = 0;
  for (let index = await run.claim(); index >= 0; index = await run.claim()) {
    stats.attempted++;
    try {
      if (!conn) {
        conn = new LoadConnection(o, stats);
        live.add(conn);
        stats.connections++;
        sentOnConn = 0;
        await conn.open();
      }
      const outcome = await conn.send(index);
      sentOnConn++;
      if (outcome === 'closing') {
        live.delete(conn);
        conn.destroy();
        conn = null;
      } else if (sentOnConn >= perConnection) {
        await conn.quit();
        live.delete(conn);
        conn = null;
      }
    } catch (err) {
      countFailure(stats, err);
      if (conn) {
        live.delete(conn);
        conn.destroy();
        conn = null;
      }
    }
  }
  if (conn) {
    await conn.quit();
    live.delete(conn);
  }
}

/** Runs the load and reports throughput, end-of-data latency, errors and acknowledged queue ids. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const o = resolveLoadOptions(options);
  const run = new LoadRun(o);
  const limit = setTimeout(() => run.stop(), o.timeLimitMs);
  try {
    const sessions = Array.from({ length: Math.min(o.sessions, Math.max(1, o.count)) }, () => session(run));
    await Promise.all(sessions);
  } finally {
    clearTimeout(limit);
  }
  return run.stats.result(run.elapsedSeconds());
}
