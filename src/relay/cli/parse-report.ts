// `txrelay parse-report [FILE|-]`: prints what the report parser finds, one stable JSON line per recipient.
// Exit 0 when the message was read (nothing printed when it is no report: a read notice, an ordinary message),
// 1 when it passes a parser limit, 2 when the input cannot be read.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import stringify from 'fast-json-stable-stringify';
import { MimeLimitError } from '../../mime/limits.js';
import { ReportParser } from '../feedback/report-parser.js';
import type { FeedbackRecord } from '../feedback/feedback-record.js';

const USAGE = 'usage: txrelay parse-report [FILE|-]   (reads standard input when FILE is - or absent)\n';

async function parseStream(stream: Readable): Promise<FeedbackRecord[]> {
  const parser = new ReportParser();
  for await (const chunk of stream) parser.write(chunk as Buffer);
  return parser.end();
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.length > 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const file = argv[0] ?? '-';
  const stream: Readable = file === '-' ? process.stdin : createReadStream(file);
  let records: FeedbackRecord[];
  try {
    records = await parseStream(stream);
  } catch (e) {
    if (e instanceof MimeLimitError) {
      process.stderr.write(`txrelay parse-report: message refused: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    process.stderr.write(`txrelay parse-report: cannot read ${file === '-' ? 'standard input' : file}: ${reason}\n`);
    return 2;
  }
  for (const r of records) process.stdout.write(stringify(r) + '\n');
  return 0;
}
