// The worker threads that compute b= (about 1 ms of CPU per RSA-2048 signature: never on the event loop).
// One batch per worker at a time, a bounded queue in front; a worker that crashes or overruns its time fails
// its batch with a DkimError and is replaced on the next task, so a caller gets an answer or an error, never a hang.
//
// Batches: a message to a thread and its answer cost about as much CPU as an Ed25519 signature (serialization,
// waking the thread, the event on each side), so signatures asked for in the same turn of the event loop go out
// together. sign() queues and dispatches once the turn's I/O callbacks have run (setImmediate); a worker that
// answers takes what waits at once. An idle worker takes its share of what waits (the queue over the number of
// workers), at most MAX_BATCH. A worker answers at least every 0.5 ms of work, so an RSA signature (about 1 ms)
// is answered when made, not at the end of its batch.
import { Worker } from 'node:worker_threads';
import { DkimError } from './dkim-key.js';
import type { SignReply, SignRequest, WorkerKey } from './dkim-worker.js';

/** A worker's start (thread, modules, keys) may take long on a loaded machine; it has this long, then timeoutMs per signature. */
const START_TIMEOUT_MS = 30_000;
// The same string as dkim-worker.ts's WORKER_READY, not imported: importing it would run the worker's code here.
const WORKER_READY = 'dkim-worker-ready';
/** Signatures in one message to a worker, at most (16 RSA-2048 signatures: about 16 ms). */
const MAX_BATCH = 16;

export interface SigningPoolOptions {
  workers: number;
  keys: readonly WorkerKey[];
  /** Tasks waiting for a free worker beyond which sign() fails at once with kind 'queue-full'. */
  maxQueue: number;
  /** Time a worker may take for one signature (including its start) before it is replaced; a batch has this per signature. */
  timeoutMs: number;
  /** The worker script; the compiled dkim-worker.js beside this file by default (tests pass a faulty one). */
  workerUrl?: URL;
}

interface Task {
  readonly request: SignRequest;
  resolve(signatureBase64: string): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker | null;
  ready: boolean;
  /** The batch the worker has, in the order sent; empty when idle. */
  tasks: Task[];
  timer: NodeJS.Timeout | null;
}

export class SigningPool {
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private dispatchScheduled = false;

  constructor(private readonly options: SigningPoolOptions) {
    this.slots = Array.from({ length: options.workers }, () => ({ worker: null, ready: false, tasks: [], timer: null }));
  }

  /** b= (base64) of `data`, the bytes to sign as a latin1 string, with key number `key`. */
  sign(key: number, data: string): Promise<string> {
    if (this.closed) return Promise.reject(new DkimError('closed', 'the DKIM signer is closed'));
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(new DkimError('queue-full', `the DKIM signing queue is full (${this.options.maxQueue} waiting)`));
    }
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, key, data }, resolve, reject });
      if (!this.dispatchScheduled) {
        this.dispatchScheduled = true;
        setImmediate(() => {
          this.dispatchScheduled = false;
          this.dispatch();
        });
      }
    });
  }

  /** Fails what waits or runs with kind 'closed' and stops every worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = (): DkimError => new DkimError('closed', 'the DKIM signer was closed before this signature was made');
    for (const task of this.queue.splice(0)) task.reject(closedError());
    await Promise.all(
      this.slots.map(async (slot) => {
        const { worker, tasks } = slot;
        this.release(slot);
        slot.worker = null;
        for (const task of tasks) task.reject(closedError());
        if (worker) await worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    if (this.closed || this.queue.length === 0) return;
    // Each worker's share of what waits, busy ones included: a busy worker that answers soon takes its share then,
    // rather than one worker holding a long batch while the other idles.
    const share = Math.min(MAX_BATCH, Math.ceil(this.queue.length / this.slots.length));
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.tasks.length !== 0) continue;
      const tasks = this.queue.splice(0, share);
      const worker = slot.worker ?? this.spawn(slot);
      slot.tasks = tasks;
      this.startTimer(slot);
      worker.postMessage(tasks.map((t) => t.request));
    }
  }

  private startTimer(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    const ms = slot.ready ? this.options.timeoutMs * slot.tasks.length : START_TIMEOUT_MS;
    const what = slot.ready ? 'took more than' : 'did not start within';
    slot.timer = setTimeout(() => this.fail(slot, new DkimError('timeout', `a DKIM signing worker ${what} ${ms} ms; it was replaced`)), ms);
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(this.options.workerUrl ?? new URL('./dkim-worker.js', import.meta.url), { workerData: { keys: this.options.keys } });
    worker.unref();
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (reply: SignReply[] | typeof WORKER_READY) => {
      if (reply === WORKER_READY) {
        if (slot.worker !== worker) return;
        slot.ready = true;
        if (slot.tasks.length !== 0) this.startTimer(slot);
        return;
      }
      if (slot.worker !== worker || slot.tasks.length === 0 || !Array.isArray(reply)) return;
      // Answers come in the order of the batch, possibly in several messages.
      for (const r of reply) {
        const i = slot.tasks.findIndex((t) => t.request.id === r.id);
        if (i === -1) continue;
        const task = slot.tasks[i]!;
        slot.tasks.splice(i, 1);
        if ('error' in r) task.reject(new DkimError('worker-crash', `DKIM signing failed in the worker: ${r.error}`));
        else task.resolve(r.signature);
      }
      if (slot.tasks.length > 0) {
        this.startTimer(slot);
        return;
      }
      this.release(slot);
      this.dispatch();
    });
    worker.on('error', (err) => {
      if (slot.worker === worker) this.fail(slot, new DkimError('worker-crash', `a DKIM signing worker crashed: ${err.message}`));
    });
    worker.on('exit', (code) => {
      if (slot.worker === worker) this.fail(slot, new DkimError('worker-crash', `a DKIM signing worker exited (code ${code})`));
    });
    return worker;
  }

  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.tasks = [];
  }

  /** The worker is lost: its batch fails, the worker goes, the next task starts a new one. */
  private fail(slot: Slot, error: DkimError): void {
    const { worker, tasks } = slot;
    this.release(slot);
    slot.worker = null;
    for (const task of tasks) task.reject(error);
    if (worker) void worker.terminate();
    if (!this.closed) this.dispatch();
  }
}
