// The worker threads that compute b= (about 1 ms of CPU per RSA-2048 signature: never on the event loop).
// One task per worker at a time, a bounded queue in front; a worker that crashes or overruns its time fails
// its task with a DkimError and is replaced on the next task, so a caller gets an answer or an error, never a hang.
import { Worker } from 'node:worker_threads';
import { DkimError } from './dkim-key.js';
import type { SignReply, SignRequest, WorkerKey } from './dkim-worker.js';

/** A worker's start (thread, modules, keys) may take long on a loaded machine; it has this long, then timeoutMs per signature. */
const START_TIMEOUT_MS = 30_000;
// The same string as dkim-worker.ts's WORKER_READY, not imported: importing it would run the worker's code here.
const WORKER_READY = 'dkim-worker-ready';

export interface SigningPoolOptions {
  workers: number;
  keys: readonly WorkerKey[];
  /** Tasks waiting for a free worker beyond which sign() fails at once with kind 'queue-full'. */
  maxQueue: number;
  /** Time a worker may take for one signature (including its start) before it is replaced. */
  timeoutMs: number;
  /** The worker script; the compiled dkim-worker.js beside this file by default (tests pass a faulty one). */
  workerUrl?: URL;
}

interface Task {
  readonly request: SignRequest;
  resolve(signature: Buffer): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker | null;
  ready: boolean;
  task: Task | null;
  timer: NodeJS.Timeout | null;
}

export class SigningPool {
  private readonly slots: Slot[];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: SigningPoolOptions) {
    this.slots = Array.from({ length: options.workers }, () => ({ worker: null, ready: false, task: null, timer: null }));
  }

  sign(key: number, data: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new DkimError('closed', 'the DKIM signer is closed'));
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(new DkimError('queue-full', `the DKIM signing queue is full (${this.options.maxQueue} waiting)`));
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, key, data }, resolve, reject });
      this.dispatch();
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
        const { worker, task } = slot;
        this.release(slot);
        slot.worker = null;
        task?.reject(closedError());
        if (worker) await worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.task !== null) continue;
      const task = this.queue.shift()!;
      const worker = slot.worker ?? this.spawn(slot);
      slot.task = task;
      this.startTimer(slot);
      worker.postMessage(task.request);
    }
  }

  private startTimer(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    const ms = slot.ready ? this.options.timeoutMs : START_TIMEOUT_MS;
    const what = slot.ready ? 'took more than' : 'did not start within';
    slot.timer = setTimeout(() => this.fail(slot, new DkimError('timeout', `a DKIM signing worker ${what} ${ms} ms; it was replaced`)), ms);
  }

  private spawn(slot: Slot): Worker {
    const worker = new Worker(this.options.workerUrl ?? new URL('./dkim-worker.js', import.meta.url), { workerData: { keys: this.options.keys } });
    worker.unref();
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (reply: SignReply | typeof WORKER_READY) => {
      if (reply === WORKER_READY) {
        if (slot.worker !== worker) return;
        slot.ready = true;
        if (slot.task !== null) this.startTimer(slot);
        return;
      }
      const task = slot.task;
      if (slot.worker !== worker || task === null || task.request.id !== reply.id) return;
      this.release(slot);
      if ('error' in reply) task.reject(new DkimError('worker-crash', `DKIM signing failed in the worker: ${reply.error}`));
      else task.resolve(Buffer.from(reply.signature.buffer, reply.signature.byteOffset, reply.signature.byteLength));
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
    slot.task = null;
  }

  /** The worker is lost: its task fails, the worker goes, the next task starts a new one. */
  private fail(slot: Slot, error: DkimError): void {
    const { worker, task } = slot;
    this.release(slot);
    slot.worker = null;
    task?.reject(error);
    if (worker) void worker.terminate();
    if (!this.closed) this.dispatch();
  }
}
