// A signing thread of DkimSigner: holds the keys it was started with, answers a batch of { id, key, data } (data as a
// latin1 string) with messages of b= values (base64), in the same order: one at the end, or more for a long batch.
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { DkimAlgorithm } from './dkim-key.js';
import { signData } from './sign-data.js';

export interface WorkerKey {
  algorithm: DkimAlgorithm;
  privateKeyPem: string;
}
export interface SignRequest {
  id: number;
  key: number;
  /** The bytes to sign as a latin1 string (a string crosses threads without the copy of a Buffer's whole pool). */
  data: string;
}
export type SignReply = { id: number; signature: string } | { id: number; error: string };
/** Sent once, when the keys are loaded: the signing time limit counts from then, not from a cold start. */
export const WORKER_READY = 'dkim-worker-ready';

const keys = (workerData as { keys: WorkerKey[] }).keys.map((k) => ({ algorithm: k.algorithm, key: createPrivateKey(k.privateKeyPem) }));
const port = parentPort!;

port.postMessage(WORKER_READY);

/** Answers go back at least this often (ms) during a batch: each RSA signature at once, Ed25519 ones a few together. */
const ANSWER_EVERY_MS = 0.5;

port.on('message', (batch: SignRequest[]) => {
  let replies: SignReply[] = [];
  let since = performance.now();
  for (const req of batch) {
    try {
      const k = keys[req.key];
      if (!k) throw new Error(`no key ${req.key}`);
      replies.push({ id: req.id, signature: signData(k.algorithm, k.key, req.data).toString('base64') });
    } catch (e) {
      replies.push({ id: req.id, error: e instanceof Error ? e.message : String(e) });
    }
    const now = performance.now();
    if (now - since >= ANSWER_EVERY_MS && replies.length < batch.length) {
      port.postMessage(replies);
      replies = [];
      since = now;
    }
  }
  if (replies.length > 0) port.postMessage(replies);
});
