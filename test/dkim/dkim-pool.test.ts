// The signing threads and the keys: a crashed or stuck worker is an error (never a hang), the queue is bounded,
// a closed signer refuses, and keys that must not sign (RSA < 2048 bits, wrong type) are refused at construction.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { composeMessage } from '../../src/mime/index.js';
import { DkimSigner } from '../../src/relay/dkim/index.js';
import { ED_KEY, RECORDS, RSA_KEY } from './keys.js';
import { mailauthVerdicts } from './verifiers.js';

const dir = mkdtempSync(join(tmpdir(), 'txrelay-dkim-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function faultyWorker(name: string, source: string): URL {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `import { parentPort } from 'node:worker_threads';\n${source}\n`);
  return pathToFileURL(file);
}

const message = composeMessage({ from: { address: 'a@example.com' }, to: { address: 'b@example.org' }, subject: 'pool', html: '<p>x</p>' });

test('a worker that crashes fails the signature with kind worker-crash, and the next signature gets a new worker', async () => {
  const signer = new DkimSigner({ keys: [ED_KEY], workers: 1, workerUrl: faultyWorker('crash', "parentPort.on('message', () => { throw new Error('boom'); });") });
  try {
    await assert.rejects(signer.sign(message), { name: 'DkimError', kind: 'worker-crash', message: /crashed: boom/ });
    await assert.rejects(signer.sign(message), { kind: 'worker-crash' });
  } finally {
    await signer.close();
  }
});

test('a worker that exits fails the signature with kind worker-crash', async () => {
  const signer = new DkimSigner({ keys: [ED_KEY], workers: 1, workerUrl: faultyWorker('exit', "parentPort.on('message', () => process.exit(3));") });
  try {
    await assert.rejects(signer.sign(message), { kind: 'worker-crash', message: /exited \(code 3\)/ });
  } finally {
    await signer.close();
  }
});

test('a worker that never answers fails the signature with kind timeout', async () => {
  const signer = new DkimSigner({ keys: [ED_KEY], workers: 1, timeoutMs: 300, workerUrl: faultyWorker('stuck', "parentPort.postMessage('dkim-worker-ready'); parentPort.on('message', () => {});") });
  try {
    const t0 = Date.now();
    await assert.rejects(signer.sign(message), { kind: 'timeout' });
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    await signer.close();
  }
});

test('the queue is bounded: beyond maxQueue waiting signatures fail at once with kind queue-full', async () => {
  const signer = new DkimSigner({ keys: [ED_KEY], workers: 1, maxQueue: 2, timeoutMs: 2000, workerUrl: faultyWorker('slow', "parentPort.on('message', () => {});") });
  const running = signer.sign(message); // taken by the worker
  await new Promise((r) => setImmediate(r));
  const waiting = [signer.sign(message), signer.sign(message)];
  await assert.rejects(signer.sign(message), { kind: 'queue-full' });
  const kinds = Promise.all([running, ...waiting].map((p) => p.then(() => 'signed', (e: { kind?: string }) => e.kind)));
  await signer.close();
  assert.deepEqual(await kinds, ['closed', 'closed', 'closed']);
  await assert.rejects(signer.sign(message), { kind: 'closed' });
});

test('many signatures in parallel on two workers all verify', async () => {
  const signer = new DkimSigner({ keys: [RSA_KEY, ED_KEY], workers: 2 });
  try {
    const signed = await Promise.all(Array.from({ length: 40 }, () => signer.sign(message)));
    for (const m of signed.slice(0, 5)) assert.deepEqual(await mailauthVerdicts(m, RECORDS), ['pass', 'pass']);
  } finally {
    await signer.close();
  }
});

test('an RSA key below 2048 bits is refused with a clear error', () => {
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  assert.throws(() => new DkimSigner({ keys: [{ ...RSA_KEY, privateKeyPem: small }], workers: 0 }), {
    name: 'DkimError',
    kind: 'key',
    message: 'DKIM key rsa2026._domainkey.example.com: the RSA key has 1024 bits, at least 2048 are required',
  });
});

test('a key of the wrong type or an unreadable key is refused', () => {
  assert.throws(() => new DkimSigner({ keys: [{ ...ED_KEY, algorithm: 'rsa-sha256' }], workers: 0 }), { kind: 'key', message: /needs an RSA key/ });
  assert.throws(() => new DkimSigner({ keys: [{ ...ED_KEY, privateKeyPem: 'not a key' }], workers: 0 }), { kind: 'key', message: /cannot be read/ });
});
