// A signing thread of DkimSigner: holds the keys it was started with, answers { id, key, data } with b= bytes.
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
  data: Uint8Array;
}
export type SignReply = { id: number; signature: Uint8Array } | { id: number; error: string };
/** Sent once, when the keys are loaded: the signing time limit counts from then, not from a cold start. */
export const WORKER_READY = 'dkim-worker-ready';

const keys = (workerData as { keys: WorkerKey[] }).keys.map((k) => ({ algorithm: k.algorithm, key: createPrivateKey(k.privateKeyPem) }));
const port = parentPort!;

port.postMessage(WORKER_READY);

port.on('message', (req: SignRequest) => {
  let reply: SignReply;
  try {
    const k = keys[req.key];
    if (!k) throw new Error(`no key ${req.key}`);
    reply = { id: req.id, signature: signData(k.algorithm, k.key, req.data) };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
