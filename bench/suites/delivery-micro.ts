// Micro-benchmarks of the delivery client's hot paths: the body of DATA on the wire (dot-stuffing and the
// terminating dot, src/protocol/client/dot-stuff.ts) beside nodemailer's DataStream doing the same job, and the
// reply reader on one pipelined batch of replies (RSET, MAIL, RCPT, DATA).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { opsPerSecond, type BenchContext, type BenchRow, type BenchSuite } from '../harness.js';
import { dataChunks } from '../../src/protocol/client/dot-stuff.js';
import { ReplyReader } from '../../src/protocol/client/client-reply.js';

const SUITE = 'delivery-micro';

/**
 * A 2 KB composed HTML message as the relay writes it: quoted-printable, soft line breaks at 76 columns. With
 * `dotLines`, a sentence's final "." falls at the start of a line after a soft break (as in the relay's composed
 * bench messages), so the body needs dot-stuffing.
 */
function composed(dotLines: boolean): Buffer {
  const head =
    'From: Sender <sender@example.com>\r\nTo: Reader <reader@example.net>\r\nSubject: Your order\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body><p>Hello,</p><p>\r\n';
  const sentence = 'Your order has shipped and will arrive soon. Thank you for shopping with us';
  const line = dotLines ? `${sentence}=\r\n.\r\n` : `${sentence}.\r\n`;
  let body = head;
  while (body.length + line.length < 2048 - 20) body += line;
  return Buffer.from(`${body}</p></body></html>\r\n`, 'latin1');
}

interface PeerDataStream {
  lastByte: number | false;
  push(chunk: Buffer): boolean;
  _transform(chunk: Buffer, encoding: string, done: () => void): void;
  _flush(done: () => void): void;
}

/** nodemailer's DataStream (a Transform), driven synchronously: transform the body, then flush the final dot. */
async function loadPeer(): Promise<((body: Buffer) => Buffer[]) | null> {
  try {
    const require = createRequire(import.meta.url);
    const file = require.resolve('nodemailer').replace(/cjs[\\/]nodemailer\.js$/, 'esm/smtp-connection/data-stream.js');
    const mod = (await import(pathToFileURL(file).href)) as { default: new () => PeerDataStream };
    const stream = new mod.default();
    let out: Buffer[] = [];
    stream.push = (chunk) => out.push(chunk) > 0;
    const done = (): void => undefined;
    return (body) => {
      out = [];
      stream.lastByte = false;
      stream._transform(body, 'buffer', done);
      stream._flush(done);
      return out;
    };
  } catch {
    return null;
  }
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const peer = await loadPeer();
  for (const body of [composed(false), composed(true)]) {
    const dots = body.toString('latin1').split('\r\n.').length - 1;
    const label = `2 KB quoted-printable body, ${dots === 0 ? 'no' : dots} line${dots === 1 ? '' : 's'} starting with "."`;
    ctx.progress(`${SUITE}: DATA body on the wire, ${label}`);
    const tasks: Record<string, () => unknown> = { ours: () => dataChunks(body) };
    if (peer) tasks.peer = () => peer(body);
    const r = await opsPerSecond(tasks, ctx);
    rows.push({
      suite: SUITE,
      name: `DATA body on the wire (dot-stuffing + final dot), ${label}`,
      unit: 'ops/s',
      ours: r.ours!,
      peer: r.peer === undefined ? undefined : { name: 'nodemailer DataStream', value: r.peer },
      higherIsBetter: true,
    });
  }
  ctx.progress(`${SUITE}: reply reader, one pipelined batch`);
  const batch = Buffer.from('250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n', 'latin1');
  let replies = 0;
  const reader = new ReplyReader(() => {
    replies++;
  });
  const r = await opsPerSecond({ ours: () => reader.push(batch) }, ctx);
  if (replies === 0) throw new Error('the reply reader produced no reply');
  rows.push({ suite: SUITE, name: 'reply reader, RSET/MAIL/RCPT/DATA replies in one chunk', unit: 'ops/s', ours: r.ours!, higherIsBetter: true });
  return rows;
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
