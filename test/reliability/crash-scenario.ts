// kill -9 under load, restart on the same data folder, and account for every message (SPEC §5: an accepted
// message is never lost). Shared by the short test (one kill) and the soak (twenty kills).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from '../../bench/loadgen.js';
import { KEY, RecordingUpstream, RelayChild, halfWrittenFiles, outboxIds, waitUntil, writeRelayConfig } from './relay-child.js';

export interface CrashOptions {
  route: 'file' | 'smtp';
  messages: number;
  kills: number;
  sessions: number;
  /** Offered load in msgs/s, so a round lasts a known time and the kill lands inside it. */
  rate: number;
  seed: number;
  /** Bound for the final drain (all acked delivered), ms. */
  drainMs: number;
  progress?: (line: string) => void;
}

export interface CrashFigures {
  kills: number;
  attempted: number;
  acked: number;
  /** Acked messages never delivered: must be 0. */
  lost: string[];
  /** Delivered messages whose 250 the client never saw (in flight at a kill). */
  deliveredNotAcked: number;
  /** Extra deliveries of one recipient (smtp route only; the file route rewrites the same file). */
  duplicates: number;
  /** Connections cut or refused by the kills, as the load generator counted them. */
  cutOff: number;
  halfWritten: string[];
  finalExitCode: number | null;
  seconds: number;
  errors: Record<string, number>;
}

export async function runCrashScenario(o: CrashOptions): Promise<CrashFigures> {
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), `txrelay-crash-${o.route}-`));
  const upstream = o.route === 'smtp' ? new RecordingUpstream(o.seed) : null;
  let relay: RelayChild | null = null;
  let seed = o.seed >>> 0;
  const random = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  try {
    if (upstream) await upstream.start();
    const config = await writeRelayConfig({ dir, ...(upstream ? { upstreamPort: upstream.port } : {}) });
    const acked: string[] = [];
    const errors: Record<string, number> = {};
    let attempted = 0;
    // Rounds until `messages` are acknowledged: the first `kills` rounds end in a kill -9 (the rest of such a round is
    // refused while the relay is down and does not count), the later ones run to the end.
    const perRound = Math.ceil(o.messages / (o.kills + 1));
    const maxRounds = o.kills + 1 + 4 * Math.ceil(o.messages / perRound);
    let kills = 0;
    let port = 0;
    for (let r = 0; acked.length < o.messages && r < maxRounds; r++) {
      const killThisRound = kills < o.kills;
      // A killed relay is restarted on the same data folder; one that survived its round keeps serving.
      if (relay === null) {
        const started = await RelayChild.start(config);
        relay = started.relay;
        port = started.port;
      }
      const load = runLoad({
        port,
        sessions: o.sessions,
        count: Math.min(perRound, o.messages - acked.length),
        messagesPerConnection: 5,
        headerApiKey: KEY,
        rate: o.rate,
        messageSize: 1024,
        timeLimitMs: 120_000,
        replyTimeoutMs: 10_000,
      });
      if (killThisRound) {
        kills++;
        // Somewhere in the middle of the round, while sessions are mid-transaction.
        const roundMs = (perRound / o.rate) * 1000;
        await sleep(Math.floor(roundMs * (0.15 + 0.7 * random())));
        await relay.kill9();
        relay = null;
      }
      const result = await load;
      attempted += result.attempted;
      acked.push(...result.acked);
      for (const [k, v] of Object.entries(result.errors)) errors[k] = (errors[k] ?? 0) + v;
      o.progress?.(`crash ${o.route}: round ${r + 1}: ${result.acked.length}/${result.attempted} acked${killThisRound ? ', then kill -9' : ''}; errors ${JSON.stringify(result.errors)}`);
    }
    if (relay === null) relay = (await RelayChild.start(config)).relay; // the last round ended in a kill
    const outbox = join(dir, 'outbox');
    const delivered = async (): Promise<Map<string, number>> => (upstream ? upstream.queueIds() : outboxIds(outbox));
    await waitUntil(async () => {
      const d = await delivered();
      return acked.every((id) => d.has(id));
    }, o.drainMs, 200);
    const finalExitCode = await relay!.terminate();
    relay = null;
    const d = await delivered();
    const ackedSet = new Set(acked);
    const lost = acked.filter((id) => !d.has(id));
    let deliveredNotAcked = 0;
    for (const id of d.keys()) if (!ackedSet.has(id)) deliveredNotAcked++;
    const cutOff = Object.entries(errors).filter(([k]) => k.startsWith('socket:') || k.startsWith('timeout:')).reduce((s, [, v]) => s + v, 0);
    return {
      kills,
      attempted,
      acked: acked.length,
      lost,
      deliveredNotAcked,
      duplicates: upstream ? upstream.duplicates() : 0,
      cutOff,
      halfWritten: upstream ? [] : await halfWrittenFiles(outbox),
      finalExitCode,
      seconds: (Date.now() - t0) / 1000,
      errors,
    };
  } finally {
    if (relay) await relay.kill9();
    await upstream?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export interface SigtermFigures {
  exitCode: number | null;
  acked: number;
  lost: string[];
  stoppedLogged: boolean;
}

/** SIGTERM while 20 sessions send: exit 0, then a restart delivers every acked message. */
export async function runSigtermScenario(messages: number, sessions: number, rate: number): Promise<SigtermFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-sigterm-'));
  let relay: RelayChild | null = null;
  try {
    // A blocked route keeps everything in the spool through the shutdown, so the restart must resume it.
    const config = await writeRelayConfig({ dir, outbox: join(dir, 'blocked', 'x') });
    await (await import('node:fs/promises')).writeFile(join(dir, 'blocked'), 'not a folder');
    const first = await RelayChild.start(config);
    relay = first.relay;
    const load = runLoad({ port: first.port, sessions, count: messages, messagesPerConnection: 5, headerApiKey: KEY, rate, messageSize: 1024, timeLimitMs: 120_000 });
    await sleep(Math.floor((messages / rate) * 500));
    const exitCode = await relay.terminate();
    const stoppedLogged = relay.lines.some((l) => l['msg'] === 'stopped');
    relay = null;
    const result = await load;
    const outbox = join(dir, 'outbox');
    const second = await writeRelayConfig({ dir, outbox });
    const again = await RelayChild.start(second);
    relay = again.relay;
    await waitUntil(async () => {
      const d = await outboxIds(outbox);
      return result.acked.every((id) => d.has(id));
    }, 60_000, 200);
    const d = await outboxIds(outbox);
    await relay.terminate();
    relay = null;
    return { exitCode, acked: result.acked.length, lost: result.acked.filter((id) => !d.has(id)), stoppedLogged };
  } finally {
    if (relay) await relay.kill9();
    await rm(dir, { recursive: true, force: true });
  }
}
