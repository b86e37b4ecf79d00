// Micro-benchmarks of the SMTP engine's hot paths: command parsing (ops/s) and the DATA reader (MB/s),
// beside smtp-server's SMTPStream in DATA mode as the peer (same chunks, same run).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { opsPerSecond, type BenchContext, type BenchRow, type BenchSuite } from '../harness.js';
import { parseCommandLine, parseMailArgument, parseRcptArgument } from '../../src/protocol/parse.js';
import { DATA_INCOMPLETE, DataReader } from '../../src/protocol/data-reader.js';

const MAX_SIZE = 30 * 1024 * 1024;
const CHUNK = 64 * 1024;

const COMMANDS = [
  'EHLO client.example.com',
  'MAIL FROM:<newsletter+bounce-1234@mail.example.com> SIZE=2048 BODY=8BITMIME',
  'RCPT TO:<alice.smith@example.org>',
  'RCPT TO:<"bob jones"@example.net>',
  'RCPT TO:<carol@[192.0.2.10]>',
].map((s) => Buffer.from(s, 'latin1'));

/** Parses one command line the way the engine does: verb, then the path and parameters. */
function parseOne(line: Buffer): unknown {
  const cmd = parseCommandLine(line, 0, line.length);
  if (!('verb' in cmd)) return cmd;
  if (cmd.verb === 'MAIL') return parseMailArgument(cmd.argument, MAX_SIZE);
  if (cmd.verb === 'RCPT') return parseRcptArgument(cmd.argument, false);
  return cmd;
}

/** A dot-stuffed message of about `size` bytes ending in CRLF.CRLF, as 64 KB network chunks. */
function message(size: number): Buffer[] {
  const line = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\r\n';
  const lines: string[] = ['Subject: bench\r\n', '\r\n'];
  let n = 0;
  while (n < size) {
    const l = lines.length % 40 === 0 ? '.' + line : line;
    lines.push(l);
    n += l.length;
  }
  const all = Buffer.from(lines.join('') + '.\r\n', 'latin1');
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, Math.min(all.length, i + CHUNK)));
  return chunks;
}

function readOurs(chunks: Buffer[]): number {
  let bytes = 0;
  const reader = new DataReader((c) => {
    bytes += c.length;
  });
  for (const c of chunks) if (reader.feed(c, 0) !== DATA_INCOMPLETE) break;
  return bytes;
}

interface PeerStream {
  oncommand: (cmd: Buffer, cb: () => void) => void;
  startDataMode(max: number): NodeJS.ReadableStream;
  write(chunk: Buffer): boolean;
  continue(): void;
}

async function loadPeer(): Promise<(new () => PeerStream) | null> {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('smtp-server');
    const file = main.replace(/cjs[\\/]smtp-server\.js$/, 'esm/smtp-stream.js');
    const mod = (await import(pathToFileURL(file).href)) as { SMTPStream: new () => PeerStream };
    return mod.SMTPStream;
  } catch {
    return null;
  }
}

function readPeer(Stream: new () => PeerStream, chunks: Buffer[]): Promise<number> {
  return new Promise((resolve) => {
    const stream = new Stream();
    stream.oncommand = (_cmd, cb) => cb();
    const data = stream.startDataMode(MAX_SIZE);
    let bytes = 0;
    data.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    data.on('end', () => {
      stream.continue();
      resolve(bytes);
    });
    for (const c of chunks) stream.write(c);
  });
}

function totalBytes(chunks: Buffer[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}

const suite: BenchSuite = {
  name: 'protocol-micro',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    ctx.progress('protocol-micro: command parser');
    let i = 0;
    const parser = await opsPerSecond({ parse: () => parseOne(COMMANDS[i++ % COMMANDS.length]!) }, ctx);
    rows.push({ suite: 'protocol-micro', name: 'command parser (EHLO/MAIL/RCPT mix)', unit: 'ops/s', ours: parser.parse!, higherIsBetter: true });
    const Peer = await loadPeer();
    for (const [label, size] of [['2 KB', 2 * 1024], ['1 MB', 1024 * 1024]] as const) {
      ctx.progress(`protocol-micro: DATA reader ${label}`);
      const chunks = message(size);
      const mb = totalBytes(chunks) / (1024 * 1024);
      const tasks: Record<string, () => unknown> = { ours: () => readOurs(chunks) };
      if (Peer !== null) tasks.peer = () => readPeer(Peer, chunks);
      const r = await opsPerSecond(tasks, ctx);
      rows.push({
        suite: 'protocol-micro',
        name: `DATA reader, ${label} message in 64 KB chunks`,
        unit: 'MB/s',
        ours: r.ours! * mb,
        peer: r.peer !== undefined ? { name: 'smtp-server SMTPStream', value: r.peer * mb } : undefined,
        higherIsBetter: true,
      });
    }
    return rows;
  },
};

export default suite;
