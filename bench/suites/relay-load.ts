// The full relay (durable spool, MIME parse, policy, compose, file route) against smtp-server + mailparser
// (accept and parse only), same load, same run: the scenarios (a)-(d) of the relay issue.
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { errorSummary, measureServerLoad, type LoadMeasurement } from '../load-measure.js';
import type { LoadOptions } from '../loadgen.js';
import { createTestCertificate, type TestCertificate } from '../servers/tls-cert.js';

const SUITE = 'relay-load';
const API_KEY = 'txr_bench_key_000000000000000000000000000000000';
const OURS = { name: 'txrelay', script: new URL('../relay/relay-child.js', import.meta.url) };
const PEER = { name: 'smtp-server+mailparser', script: new URL('../relay/peer-child.js', import.meta.url) };

/** The base64 "PDF" (72 KB before encoding) every invoice carries: built once, so the client's cost per message is a copy. */
let invoicePdf: Buffer | null = null;
function pdfTail(): Buffer {
  if (invoicePdf === null) {
    const pdf = Buffer.alloc(72 * 1024);
    for (let i = 0; i < pdf.length; i++) pdf[i] = (i * 31 + 7) & 0xff;
    invoicePdf = Buffer.from(pdf.toString('base64').replace(/.{76}/g, '$&\r\n') + '\r\n--b1--\r\n', 'latin1');
  }
  return invoicePdf;
}

const INVOICE_HTML = '<html><body><h1>Invoice</h1>' + '<p>Thank you for your order. Your invoice is attached.</p>'.repeat(30) + '</body></html>';

/**
 * ~100 KB: a short HTML part and a base64 "PDF" attachment, as a shop's invoice mail. Only the subject and the
 * file name carry the index; the load generator builds each message as it sends it, so the costly part is shared
 * (built per message, it made the client, not the server, the limit of this scenario).
 */
export function invoiceMessage(index: number): Buffer {
  const head = Buffer.from(
    `From: Shop <shop@example.com>\r\nTo: Customer <c@example.net>\r\nSubject: Invoice ${index}\r\nMIME-Version: 1.0\r\n` +
      'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      `--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${INVOICE_HTML}\r\n` +
      `--b1\r\nContent-Type: application/pdf; name="invoice-${index}.pdf"\r\nContent-Disposition: attachment; filename="invoice-${index}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
    'utf8',
  );
  return Buffer.concat([head, pdfTail()]);
}

interface Scenario {
  id: string;
  title: string;
  load: Omit<LoadOptions, 'port'>;
  secure: boolean;
  /** Latency at a fixed offered rate instead of throughput at saturation. */
  fixedRate?: boolean;
}

function scenarios(quick: boolean): Scenario[] {
  const s = quick ? 10 : 1;
  const n = (x: number): number => x / s;
  const fmt = (x: number): string => n(x).toLocaleString('en-US');
  const headerKey = { headerApiKey: API_KEY };
  return [
    // Kept-open sessions pipeline (RFC 2920) as Postfix and nodemailer do; single-message connections are lock-step.
    { id: 'a', title: `(a) ${fmt(20000)} x 2 KB, 20 kept-open sessions, pipelined`, load: { sessions: 20, count: n(20000), messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048, ...headerKey }, secure: false },
    { id: 'b', title: `(b) ${fmt(2000)} x 100 KB with a PDF attachment, 10 sessions, pipelined`, load: { sessions: 10, count: n(2000), messagesPerConnection: 0, mode: 'pipelined', message: invoiceMessage, ...headerKey }, secure: false },
    { id: 'c', title: `(c) ${fmt(2000)} single-message connections, 50 sessions, lock-step`, load: { sessions: 50, count: n(2000), messagesPerConnection: 1, mode: 'lock-step', messageSize: 2048, ...headerKey }, secure: false },
    { id: 'd', title: `(d) ${fmt(20000)} x 2 KB, 20 kept-open sessions, pipelined, STARTTLS + AUTH`, load: { sessions: 20, count: n(20000), messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048, startTls: true, authKey: API_KEY }, secure: true },
    // Latency of the reply to end of DATA when the load is steady, not at saturation (the bench issue).
    { id: 'e', title: `(e) ${fmt(10000)} x 2 KB offered at 2,000 msgs/s, 20 kept-open sessions`, load: { sessions: 20, count: n(10000), messagesPerConnection: 0, mode: 'pipelined', messageSize: 2048, rate: 2000, ...headerKey }, secure: false, fixedRate: true },
  ];
}

function summary(name: string, m: LoadMeasurement): string {
  const r = m.result;
  return (
    `${SUITE}:   ${name}: ${r.messages}/${r.attempted} msgs in ${r.seconds.toFixed(2)} s = ${r.msgsPerSec.toFixed(0)} msgs/s, ` +
    `p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, server ${m.cpuMicrosPerMessage.toFixed(1)} µs/msg, ` +
    `peak RSS ${m.peakRssMB.toFixed(0)} MB, errors ${errorSummary(r)}`
  );
}

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let cert: TestCertificate | null = null;
  try {
    for (const sc of scenarios(ctx.quick)) {
      let tls: { keyPath: string; certPath: string } | undefined;
      if (sc.secure) {
        cert ??= createTestCertificate();
        tls = { keyPath: cert.keyPath, certPath: cert.certPath };
      }
      const options = { apiKey: API_KEY, ...(tls ? { tls } : {}) };
      ctx.progress(`${SUITE}: ${sc.title} against ${PEER.name}`);
      const peer = await measureServerLoad(PEER.script, options, sc.load);
      ctx.progress(summary(PEER.name, peer));
      ctx.progress(`${SUITE}: ${sc.title} against ${OURS.name}`);
      const ours = await measureServerLoad(OURS.script, options, sc.load);
      ctx.progress(summary(OURS.name, ours));
      const extra = {
        'ours p50 ms': ours.result.latencyMs.p50,
        'ours p99 ms': ours.result.latencyMs.p99,
        'peer p50 ms': peer.result.latencyMs.p50,
        'peer p99 ms': peer.result.latencyMs.p99,
        'ours errors': errorSummary(ours.result),
        'peer errors': errorSummary(peer.result),
        'ours peak RSS MB': Math.round(ours.peakRssMB),
        'peer peak RSS MB': Math.round(peer.peakRssMB),
      };
      if (sc.fixedRate) {
        const pct = { 'ours p50 ms': ours.result.latencyMs.p50, 'ours p99.9 ms': ours.result.latencyMs.p999, 'peer p50 ms': peer.result.latencyMs.p50, 'peer p99.9 ms': peer.result.latencyMs.p999 };
        rows.push(
          { suite: SUITE, name: `${sc.title}: p50 latency, final dot to reply`, unit: 'ms', ours: ours.result.latencyMs.p50, peer: { name: PEER.name, value: peer.result.latencyMs.p50 }, higherIsBetter: false, extra: pct },
          { suite: SUITE, name: `${sc.title}: p99 latency, final dot to reply`, unit: 'ms', ours: ours.result.latencyMs.p99, peer: { name: PEER.name, value: peer.result.latencyMs.p99 }, higherIsBetter: false, extra: pct },
          { suite: SUITE, name: `${sc.title}: p99.9 latency, final dot to reply`, unit: 'ms', ours: ours.result.latencyMs.p999, peer: { name: PEER.name, value: peer.result.latencyMs.p999 }, higherIsBetter: false, extra: pct },
        );
        continue;
      }
      rows.push(
        { suite: SUITE, name: `${sc.title}: throughput`, unit: 'msgs/s', ours: ours.result.msgsPerSec, peer: { name: PEER.name, value: peer.result.msgsPerSec }, higherIsBetter: true, extra },
        { suite: SUITE, name: `${sc.title}: server CPU per message`, unit: 'µs/msg', ours: ours.cpuMicrosPerMessage, peer: { name: PEER.name, value: peer.cpuMicrosPerMessage }, higherIsBetter: false },
      );
    }
  } finally {
    cert?.remove();
  }
  return rows;
}

const suite: BenchSuite = { name: SUITE, run };
export default suite;
