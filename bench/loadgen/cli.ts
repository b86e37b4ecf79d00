// Command line of the load generator, for pointing it at a running relay or any SMTP server.
import { parseArgs } from 'node:util';
import type { LoadOptions, LoadResult } from './options.js';
import { runLoad } from './run-load.js';

export const USAGE = `usage: node dist/bench/loadgen.js --port <port> [options]
  --host <addr>            target host (127.0.0.1)
  --port <n>               target port (required)
  --sessions <n>           concurrent sessions (10)
  --count <n>              messages in total (1000)
  --per-connection <n>     messages per connection, 0 = keep open (1)
  --pipelined              MAIL+RCPT+DATA in one write (RFC 2920); default lock-step
  --size <bytes>           size of the default 2 KB multipart/alternative message (2048)
  --rcpt <n>               recipients per message (1)
  --from <addr>            envelope sender (loadgen@example.com)
  --to-domain <domain>     recipients are user<r>@<domain> (example.net)
  --starttls               STARTTLS after EHLO (certificate not verified)
  --auth-key <key>         AUTH PLAIN with this API key as password
  --header-key <key>       add "X-Auth-APIKey: <key>" to every message
  --rate <msgs/s>          fixed offered rate instead of as fast as possible
  --time-limit <s>         hard limit for the whole run (120)
  --reply-timeout <ms>     per-reply timeout (10000)
  --json                   print the full result as JSON (includes acknowledged queue ids)`;

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

/** Turns argv into load options; throws with a readable message on a bad flag. */
export function parseLoadArgs(argv: string[]): { options: LoadOptions; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      sessions: { type: 'string' },
      count: { type: 'string' },
      'per-connection': { type: 'string' },
      pipelined: { type: 'boolean' },
      size: { type: 'string' },
      rcpt: { type: 'string' },
      from: { type: 'string' },
      'to-domain': { type: 'string' },
      starttls: { type: 'boolean' },
      'auth-key': { type: 'string' },
      'header-key': { type: 'string' },
      rate: { type: 'string' },
      'time-limit': { type: 'string' },
      'reply-timeout': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) throw new Error(USAGE);
  const port = positiveNumber('port', values.port, 0);
  if (port === 0) throw new Error(`--port is required\n${USAGE}`);
  const toDomain = values['to-domain'] ?? 'example.net';
  const options: LoadOptions = {
    host: values.host ?? '127.0.0.1',
    port,
    sessions: positiveNumber('sessions', values.sessions, 10),
    count: positiveNumber('count', values.count, 1000),
    messagesPerConnection: positiveNumber('per-connection', values['per-connection'], 1),
    mode: values.pipelined ? 'pipelined' : 'lock-step',
    messageSize: positiveNumber('size', values.size, 2048),
    rcptCount: positiveNumber('rcpt', values.rcpt, 1),
    recipient: (_index, r) => `user${r}@${toDomain}`,
    startTls: values.starttls ?? false,
    timeLimitMs: positiveNumber('time-limit', values['time-limit'], 120) * 1000,
    replyTimeoutMs: positiveNumber('reply-timeout', values['reply-timeout'], 10_000),
  };
  if (values.from !== undefined) options.from = values.from;
  if (values['auth-key'] !== undefined) options.authKey = values['auth-key'];
  if (values['header-key'] !== undefined) options.headerApiKey = values['header-key'];
  if (values.rate !== undefined) options.rate = positiveNumber('rate', values.rate, 0) || undefined;
  return { options, json: values.json ?? false };
}

export function formatLoadResult(r: LoadResult): string {
  const errors = Object.entries(r.errors).map(([k, n]) => `${k}=${n}`);
  const lines = [
    `messages   ${r.messages} accepted of ${r.attempted} attempted over ${r.connections} connections`,
    `time       ${r.seconds.toFixed(2)} s`,
    `throughput ${r.msgsPerSec.toFixed(1)} msgs/s`,
    `latency    p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, p99.9 ${r.latencyMs.p999.toFixed(2)} ms (final dot to reply)`,
    `errors     ${errors.length === 0 ? 'none' : errors.join(' ')}`,
    `acked ids  ${r.acked.length}`,
  ];
  for (const s of r.errorSamples) lines.push(`  e.g. ${s}`);
  return lines.join('\n');
}

/** Runs the CLI; the exit code is 1 when any message failed. */
export async function loadgenMain(argv: string[]): Promise<number> {
  let parsed: { options: LoadOptions; json: boolean };
  try {
    parsed = parseLoadArgs(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const result = await runLoad(parsed.options);
  process.stdout.write((parsed.json ? JSON.stringify(result, null, 2) : formatLoadResult(result)) + '\n');
  return result.messages === parsed.options.count ? 0 : 1;
}
