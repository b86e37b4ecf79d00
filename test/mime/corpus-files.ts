// The MIME part of the test corpus (test/fixtures/corpus/mime): messages and Python's expected.jsonl.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from '../support/corpus.js';

export const MIME_CORPUS = join(CORPUS, 'mime');

export interface ExpectedAddress {
  display_name: string;
  addr_spec: string;
}

export interface ExpectedMessage {
  path: string;
  subject: string | null;
  html: string | null;
  addresses: { from: ExpectedAddress[] | null; to: ExpectedAddress[] | null; reply_to: ExpectedAddress[] | null };
  defects: Array<{ path: number[]; type: string }>;
  content_type: string;
  html_part: number[] | null;
  parts: Array<{ path: number[]; content_type: string; filename: string | null }>;
}

export function readExpected(): ExpectedMessage[] {
  const text = readFileSync(join(MIME_CORPUS, 'expected.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ExpectedMessage);
}

export function readCorpusMessage(path: string): Buffer {
  return readFileSync(join(MIME_CORPUS, path));
}

/** Line ends are compared as LF: readers differ on CRLF in decoded text, and the relay re-encodes it anyway. */
export function lf(s: string | null | undefined): string | null {
  return s === null || s === undefined ? null : s.replace(/\r\n/g, '\n');
}
