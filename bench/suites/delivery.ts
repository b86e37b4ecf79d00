// Delivery client: messages/s that RouteSmtp delivers to a local discarding smtp-server (2 KB, pool of 4,
// 100 messages per connection), beside nodemailer's pooled SMTP transport sending the same .eml to the same
// upstream. The upstream runs in its own process, so the figures are the client's; CPU is this process's.
import { createTransport } from 'nodemailer';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { startServerChild, type ServerChild } from '../servers/child.js';
import type { DiscardServerOptions } from '../servers/child-messages.js';
import { RouteSmtp } from '../../src/relay/delivery/route-smtp.js';
import type { SmtpRouteConfig } from '../../src/relay/config/index.js';

const SUITE = 'delivery';
const POOL_SIZE = 4;
const PER_CONNECTION = 100;
/** Deliveries outstanding at once: twice the pool, so a connection never waits for the caller. */
const IN_FLIGHT = 2 * POOL_SIZE;
const FROM = 'sender@example.com';

/** A composed 2 KB HTML message, as the relay hands to a route. */
function message(size = 2048): Buffer {
  const head = `From: Sender <${FROM}>\r\nTo: Reader <reader@example.com>\r\nSubject: Your receipt\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n`;
  const line = '<p>Thank you for your order. Your receipt follows below in this message.</p>\r\n';
  let body = '';
  while (head.length + body.length + line.length <= size) body += line;
  return Buffer.from(head + body + 'x'.repeat(size - head.length - body.length - 2) + '\r\n');
}

type Sender = (i: number) => Promise<void>;

interface Measurement {
  msgsPerSec: number;
  cpuMicrosPerMessage: number;
  failures: number;
}

/** Sends `count` messages with IN_FLIGHT outstanding; a failed send is counted, not retried. */
async function measure(send: Sender, count: number): Promise<Measurement> {
  let next = 0;
  let failures = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      try {
        await send(i);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { msgsPerSec: count / seconds, cpuMicrosPerMessage: (used.user + used.system) / count, failures };
}

function routeSender(port: number, body: Buffer): { send: Sender; close(): Promise<void> } {
  const config: SmtpRouteConfig = {
    type: 'smtp', host: '127.0.0.1', port, tls: 'none', verifyCertificate: true, caFile: null, username: null, password: null,
    poolSize: POOL_SIZE, maxMessagesPerConnection: PER_CONNECTION, envelopeFrom: null, dkim: true, returnPath: null,
  };
  const route = new RouteSmtp('bench', config, { clientName: 'bench.invalid' });
  return {
    async send(i) {
      const [outcome] = await route.deliver({ id: `b${i}`, from: FROM, recipients: [{ address: `r${i}@example.com`, body }] });
      if (outcome?.status !== 'delivered') throw new Error(outcome?.reply ?? 'no outcome');
    },
    close: () => route.close(),
  };
}

function nodemailerSender(port: number, body: Buffer): { send: Sender; close(): Promise<void> } {
  const transport = createTransport({
    pool: true,
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    maxConnections: POOL_SIZE,
    maxMessages: PER_CONNECTION,
    name: 'bench.invalid',
  });
  return {
    async send(i) {
      await transport.sendMail({ envelope: { from: FROM, to: [`r${i}@example.com`] }, raw: body });
    },
    async close() {
      transport.close();
    },
  };
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const count = ctx.quick ? 500 : 5000;
  const warmup = ctx.quick ? 100 : 500;
  const body = message();
  const rows: BenchRow[] = [];
  const results: Record<string, Measurement> = {};
  for (const [name, make] of [
    ['RouteSmtp', routeSender],
    ['nodemailer pool', nodemailerSender],
  ] as const) {
    const upstream: ServerChild = await startServerChild<DiscardServerOptions>(new URL('../servers/smtp-server-discard.js', import.meta.url), {});
    const sender = make(upstream.port, body);
    try {
      await measure(sender.send, warmup);
      results[name] = await measure(sender.send, count);
      ctx.progress(`${SUITE}: ${name} ${results[name]!.msgsPerSec.toFixed(0)} msgs/s, ${results[name]!.cpuMicrosPerMessage.toFixed(0)} µs CPU/msg, ${results[name]!.failures} failures`);
    } finally {
      await sender.close();
      await upstream.stop();
    }
  }
  const ours = results['RouteSmtp']!;
  const peer = results['nodemailer pool']!;
  const title = `${count.toLocaleString('en-US')} messages of 2 KB, pool of ${POOL_SIZE}, ${PER_CONNECTION}/connection, to smtp-server`;
  rows.push({
    suite: SUITE,
    name: `${title}: throughput`,
    unit: 'msgs/s',
    ours: ours.msgsPerSec,
    peer: { name: 'nodemailer (pooled SMTP)', value: peer.msgsPerSec },
    higherIsBetter: true,
    extra: { failures: ours.failures, peerFailures: peer.failures },
  });
  rows.push({
    suite: SUITE,
    name: `${title}: client CPU`,
    unit: 'µs/msg',
    ours: ours.cpuMicrosPerMessage,
    peer: { name: 'nodemailer (pooled SMTP)', value: peer.cpuMicrosPerMessage },
    higherIsBetter: false,
  });
  return rows;
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
