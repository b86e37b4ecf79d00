// The `file` route: each outbound message becomes `<id>-<n>.eml` in a folder (the embedded default's outbox).
// Each file appears whole or not at all: written through writeFileDurably (storage/durable-file.ts), the folder
// fsynced once per delivery rather than once per file.
// A retry writes the same name again, so a re-delivery after a crash replaces the file rather than duplicating it.
// With a returnPath (VERP) the file starts with `Return-Path: <b-...>`, as a final delivery records the envelope
// sender (RFC 5321 §4.4); that is where tests and local consumers read it.
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboundMessage, RecipientOutcome, ReturnPathOf, Route } from './route.js';
import { SPOOL_ID_PATTERN } from '../storage/spool/index.js';
import { fsyncDirectory, isDurableTempName, writeFileDurably } from '../storage/durable-file.js';

/** The fs operations RouteFile uses; injectable so tests can make a write fail. */
export interface RouteFileFs {
  open(path: string, flags: string, mode?: number): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  readdir(path: string): Promise<string[]>;
}

export interface RouteFileOptions {
  fs?: RouteFileFs;
  /** Mode of the .eml files; default 0o640. */
  fileMode?: number;
  /** VERP: each recipient's envelope sender, written as a Return-Path header; null = no header. */
  returnPath?: ReturnPathOf | null;
}

export class RouteFile implements Route {
  readonly type = 'file';
  readonly name: string;
  readonly folder: string;
  private readonly fs: RouteFileFs;
  private readonly fileMode: number;
  private readonly returnPath: ReturnPathOf | null;
  private ready: Promise<void> | null = null;

  constructor(name: string, folder: string, options: RouteFileOptions = {}) {
    this.name = name;
    this.folder = folder;
    this.fs = options.fs ?? (nodeFs as unknown as RouteFileFs);
    this.fileMode = options.fileMode ?? 0o640;
    this.returnPath = options.returnPath ?? null;
  }

  /** The name a recipient's file gets: `<id>-<n>.eml`, n = the recipient's index in its message. */
  static fileName(id: string, index: number): string {
    return `${id}-${index}.eml`;
  }

  /** Creates the folder and removes temp files a crash left behind. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      await this.fs.mkdir(this.folder, { recursive: true });
      for (const name of await this.fs.readdir(this.folder)) {
        if (isDurableTempName(name)) await this.fs.unlink(join(this.folder, name)).catch(() => undefined);
      }
    })();
    // A failed preparation (e.g. permission) is retried at the next delivery.
    this.ready.catch(() => {
      this.ready = null;
    });
    return this.ready;
  }

  async deliver(msg: OutboundMessage): Promise<RecipientOutcome[]> {
    // Ids become file names: only the spool's id alphabet may reach the path, so no "../" or "/" ever does.
    if (typeof msg.id !== 'string' || !SPOOL_ID_PATTERN.test(msg.id)) {
      return msg.recipients.map((r) => ({ recipient: r.address, status: 'failed', reply: `invalid message id ${JSON.stringify(msg.id)}` }));
    }
    try {
      await this.prepare();
    } catch (err) {
      return msg.recipients.map((r) => ({ recipient: r.address, status: 'deferred', reply: `cannot prepare folder ${this.folder}: ${describe(err)}` }));
    }
    const outcomes = await Promise.all(
      msg.recipients.map(async (r, position): Promise<RecipientOutcome> => {
        const index = r.index ?? position;
        if (!Number.isSafeInteger(index) || index < 0) return { recipient: r.address, status: 'failed', reply: `invalid recipient index ${index}` };
        try {
          const body = this.returnPath === null ? r.body : Buffer.concat([Buffer.from(`Return-Path: <${this.returnPath(msg.id, index)}>\r\n`, 'latin1'), r.body]);
          await writeFileDurably(join(this.folder, RouteFile.fileName(msg.id, index)), body, { mode: this.fileMode, syncDirectory: false, fs: this.fs });
          return { recipient: r.address, status: 'delivered', reply: `written to ${RouteFile.fileName(msg.id, index)}` };
        } catch (err) {
          return { recipient: r.address, status: 'deferred', reply: `cannot write to ${this.folder}: ${describe(err)}` };
        }
      }),
    );
    if (outcomes.some((o) => o.status === 'delivered')) {
      try {
        await fsyncDirectory(this.folder, this.fs);
      } catch (err) {
        // The renames may not be durable yet: report them as deferred so they are written again.
        for (const o of outcomes) {
          if (o.status === 'delivered') {
            o.status = 'deferred';
            o.reply = `cannot fsync ${this.folder}: ${describe(err)}`;
          }
        }
      }
    }
    return outcomes;
  }

  async close(): Promise<void> {
    // Nothing is held open between deliveries.
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}
