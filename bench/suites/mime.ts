// Streaming MIME parse: ours against mailparser (simpleParser) and postal-mime on the same messages, same run.
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import PostalMime from 'postal-mime';
import { opsPerSecond, type BenchContext, type BenchRow, type BenchSuite } from '../harness.js';
import { composeMessage, parseMessageSync } from '../../src/mime/index.js';

/** Deterministic bytes (a 32-bit LCG), so every run parses the same messages. */
function pseudoRandomBytes(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function base64Lines(bytes: Buffer): string {
  return bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function paragraphs(bytes: number, word: string): string {
  let s = '';
  let k = 0;
  while (s.length < bytes) s += `<p>${word} paragraph ${k++}: the quick brown fox jumps over the lazy dog, caf\u00e9 \u20ac 12.</p>\r\n`;
  return s;
}

/** (1) about 2 KB: multipart/alternative with text/plain and quoted-printable HTML. */
export function smallAlternative(): Buffer {
  const html = `<html><body>\r\n${paragraphs(900, 'Hello')}</body></html>`;
  const qp = html.replace(/=/g, '=3D').replace(/\u00e9/g, '=C3=A9').replace(/\u20ac/g, '=E2=82=AC').replace(/([^\r\n]{70})/g, '$1=\r\n');
  return Buffer.from(
    'From: "Shop" <shop@example.com>\r\nTo: "Ann" <ann@example.org>\r\nSubject: =?utf-8?Q?Your_order_=E2=9C=93?=\r\n' +
      'Date: Thu, 26 Nov 2026 04:00:00 +0000\r\nMessage-ID: <bench-1@example.com>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/alternative; boundary="alt-boundary-0001"\r\n\r\n' +
      '--alt-boundary-0001\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n' +
      'Hello, your order is on its way. Thanks for shopping with us.\r\n'.repeat(6) +
      '\r\n--alt-boundary-0001\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
      qp +
      '\r\n--alt-boundary-0001--\r\n',
    'utf8',
  );
}

/** (2) about 300 KB: multipart/mixed with text/plain, a 20 KB HTML part and a 200 KB base64 PDF. */
export function largeMixed(): Buffer {
  const html = `<html><body>\r\n${paragraphs(20 * 1024, 'Invoice')}</body></html>`;
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), pseudoRandomBytes(200 * 1024 - 9, 7)]);
  return Buffer.from(
    'From: "Billing" <billing@example.com>\r\nTo: "Ann" <ann@example.org>\r\nSubject: Invoice 2026-11\r\n' +
      'Date: Thu, 26 Nov 2026 04:00:00 +0000\r\nMessage-ID: <bench-2@example.com>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="mixed-boundary-0002"\r\n\r\n' +
      '--mixed-boundary-0002\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYour invoice is attached.\r\n' +
      '--mixed-boundary-0002\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      html +
      '\r\n--mixed-boundary-0002\r\nContent-Type: application/pdf; name="invoice.pdf"\r\nContent-Disposition: attachment; filename="invoice.pdf"\r\n' +
      'Content-Transfer-Encoding: base64\r\n\r\n' +
      base64Lines(pdf) +
      '\r\n--mixed-boundary-0002--\r\n',
    'utf8',
  );
}

async function measure(label: string, msg: Buffer, ctx: BenchContext): Promise<BenchRow[]> {
  // Sanity: all three find the same HTML before we time them.
  const ours = parseMessageSync(msg).html;
  const mp = await simpleParser(msg);
  if (ours === null || typeof mp.html !== 'string') throw new Error(`bench ${label}: no HTML found`);
  ctx.progress(`mime: ${label} (${(msg.length / 1024).toFixed(0)} KB)`);
  const ops = await opsPerSecond(
    {
      ours: () => parseMessageSync(msg),
      mailparser: () => simpleParser(msg),
      'postal-mime': () => PostalMime.parse(msg),
    },
    ctx,
  );
  const mbps = (o: number): number => Number(((o * msg.length) / 1e6).toFixed(2));
  return (['mailparser', 'postal-mime'] as const).map((peer) => ({
    suite: 'mime',
    name: `parse ${label}`,
    unit: 'ops/s',
    ours: ops.ours ?? 0,
    peer: { name: peer, value: ops[peer] ?? 0 },
    higherIsBetter: true,
    extra: { bytes: msg.length, 'ours MB/s': mbps(ops.ours ?? 0), [`${peer} MB/s`]: mbps(ops[peer] ?? 0) },
  }));
}

/** The outbound side: one message per recipient, ours against nodemailer's MailComposer on the same input. */
async function measureCompose(ctx: BenchContext): Promise<BenchRow> {
  const html = `<html><body>\r\n${paragraphs(20 * 1024, 'Invoice')}</body></html>`;
  const input = {
    from: { name: 'Billing Dept', address: 'billing@example.com' },
    to: { name: 'Zoë Ünïcode', address: 'zoe@example.org' },
    replyTo: { name: 'Support', address: 'support@example.com' },
    subject: 'Your invoice for November — 12,00 €',
    html,
  };
  ctx.progress('mime: compose 20 KB HTML');
  const ops = await opsPerSecond(
    {
      ours: () => composeMessage(input),
      nodemailer: () => new MailComposer({ from: input.from, to: input.to, replyTo: input.replyTo, subject: input.subject, html }).compile().build(),
    },
    ctx,
  );
  return {
    suite: 'mime',
    name: 'compose 20 KB HTML message',
    unit: 'ops/s',
    ours: ops.ours ?? 0,
    peer: { name: 'nodemailer MailComposer', value: ops.nodemailer ?? 0 },
    higherIsBetter: true,
  };
}

const suite: BenchSuite = {
  name: 'mime',
  async run(ctx) {
    return [
      ...(await measure('2 KB multipart/alternative', smallAlternative(), ctx)),
      ...(await measure('300 KB multipart/mixed + PDF', largeMixed(), ctx)),
      await measureCompose(ctx),
    ];
  },
};

export default suite;
