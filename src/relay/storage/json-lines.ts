// Append-only files of JSON records, one a line: the shape of every small durable log of the relay (the
// suppression lists, the store's JournalMap files, the Redis store's pending writes, the HTTP API's idempotency
// answers). What they share is here: reading one back with a torn last line (a crash mid-append) cut off, and
// appending with an fdatasync before the append resolves and a folder fsync when the append creates the file.
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDirectory } from './durable-file.js';

export interface JsonLines {
  /** Every line that parses, in file order. */
  records: unknown[];
  /** Lines in the file (parsed or not), after the torn tail was cut: what a compaction threshold counts. */
  lines: number;
  /** The file was there. */
  existed: boolean;
}

/**
 * Reads a JSON-lines file. A last line without its newline is a torn append: it is cut off the file itself, so the
 * next append starts on a line of its own. A missing file is empty.
 */
export async function readJsonLines(path: string): Promise<JsonLines> {
  let bytes: Buffer;
  try {
    bytes = await nodeFs.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], lines: 0, existed: false };
    throw e;
  }
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) {
    bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
    await nodeFs.truncate(path, bytes.length);
  }
  const records: unknown[] = [];
  let lines = 0;
  for (const line of bytes.toString('utf8').split('\n')) {
    if (line === '') continue;
    lines++;
    try {
      records.push(JSON.parse(line));
    } catch {
      // Only a torn line fails to parse, and the torn tail was cut above: a damaged line is skipped, not fatal.
    }
  }
  return { records, lines, existed: true };
}

/** Appends text to a file, durably. Callers run their appends one after another (each keeps its own chain). */
export class JsonLinesAppender {
  private file: FileHandle | null = null;

  constructor(readonly path: string) {}

  /** Writes `text` (whole lines) at the end and fdatasyncs; the first append that creates the file fsyncs its folder. */
  async append(text: string): Promise<void> {
    if (this.file === null) {
      const created = !(await exists(this.path));
      this.file = await nodeFs.open(this.path, 'a', 0o600);
      if (created) await fsyncDirectory(dirname(this.path));
    }
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.file.write(bytes, written, bytes.length - written, null);
      if (bytesWritten === 0) throw new Error(`${this.path}: write made no progress`);
      written += bytesWritten;
    }
    await this.file.datasync();
  }

  /** Closes the handle (before the file is replaced by a rewrite); the next append opens the file again. */
  async close(): Promise<void> {
    const f = this.file;
    this.file = null;
    await f?.close().catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await nodeFs.stat(path);
    return true;
  } catch {
    return false;
  }
}
