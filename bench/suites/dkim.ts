// DKIM signing rate: ours on the caller's thread and in 1 and 2 worker threads (32 signatures in flight), beside
// mailauth's dkimSign on the same 2 KB message in the same run (it signs on the caller's thread).
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.js';
import { composeMessage } from '../../src/mime/index.js';
import { DkimSigner, type DkimAlgorithm, type DkimKeyConfig } from '../../src/relay/dkim/index.js';

const IN_FLIGHT = 32;

function message(): Buffer {
  let html = '<html><body>\r\n';
  for (let k = 0; html.length < 2000; k++) html += `<p>Your order ${k} is on its way — thanks for shopping with us.</p>\r\n`;
  return composeMessage({
    from: { name: 'Shop', address: 'orders@example.com' },
    to: { name: 'Zoë', address: 'zoe@example.org' },
    subject: 'Your order ✓',
    html: `${html}</body></html>\r\n`,
  });
}

/** Signatures per second with `sign` called from IN_FLIGHT concurrent loops for `ms` milliseconds. */
async function rate(ms: number, sign: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + ms;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < deadline) {
        await sign();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

async function measure(algorithm: DkimAlgorithm, ctx: BenchContext): Promise<BenchRow[]> {
  const label = algorithm === 'rsa-sha256' ? 'RSA-2048' : 'Ed25519';
  const { privateKey } = algorithm === 'rsa-sha256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key: DkimKeyConfig = { domain: 'example.com', selector: 'bench', algorithm, privateKeyPem: pem };
  const msg = message();
  const ms = ctx.quick ? 1000 : 3000;
  ctx.progress(`dkim: ${label} mailauth dkimSign`);
  // mailauth signs with the entries of signatureData; its typings also ask for the top-level fields.
  const signature = { signingDomain: 'example.com', selector: 'bench', privateKey: pem, algorithm };
  const peerOptions = { ...signature, signatureData: [signature] };
  if ((await dkimSign(msg, peerOptions)).signatures === '') throw new Error('bench dkim: mailauth made no signature');
  const peer = { name: 'mailauth dkimSign', value: await rate(ms, () => dkimSign(msg, peerOptions)) };
  const rows: BenchRow[] = [];
  for (const workers of [0, 1, 2]) {
    ctx.progress(`dkim: ${label} ours, ${workers === 0 ? 'main thread' : `${workers} worker(s)`}`);
    const signer = new DkimSigner({ keys: [key], workers });
    try {
      await signer.sign(msg); // start the workers before timing
      const ours = await rate(ms, () => signer.sign(msg));
      rows.push({
        suite: 'dkim',
        name: `sign 2 KB message ${label}, ${workers === 0 ? 'main thread' : `${workers} worker${workers > 1 ? 's' : ''}`}`,
        unit: 'sigs/s',
        ours,
        peer,
        higherIsBetter: true,
      });
    } finally {
      await signer.close();
    }
  }
  return rows;
}

const suite: BenchSuite = {
  name: 'dkim',
  async run(ctx) {
    return [...(await measure('rsa-sha256', ctx)), ...(await measure('ed25519-sha256', ctx))];
  },
};

export default suite;
