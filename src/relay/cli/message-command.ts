// What `txrelay inspect` and `txrelay parse-report` share: one message from FILE or standard input, streamed into a
// parser; exit 0 with the printed lines, 1 when the parser refuses it at a limit, 2 when it cannot be read.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { MimeLimitError } from '../../mime/index.js';

export interface MessageCommand<T> {
  /** The command's name, for its messages ("inspect"). */
  name: string;
  usage: string;
  /** A fresh streaming parser: write() every chunk, then end(); both throw only MimeLimitError. */
  parser(): { write(chunk: Buffer): void; end(): T };
  /** The lines to print for the result, each without its line break. */
  print(result: T): string[];
}

export async function runMessageCommand<T>(command: MessageCommand<T>, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(command.usage);
    return 0;
  }
  if (argv.length > 1) {
    process.stderr.write(command.usage);
    return 2;
  }
  const file = argv[0] ?? '-';
  const stream: Readable = file === '-' ? process.stdin : createReadStream(file);
  let result: T;
  try {
    const parser = command.parser();
    for await (const chunk of stream) parser.write(chunk as Buffer);
    result = parser.end();
  } catch (e) {
    if (e instanceof MimeLimitError) {
      process.stderr.write(`txrelay ${command.name}: message refused: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    process.stderr.write(`txrelay ${command.name}: cannot read ${file === '-' ? 'standard input' : file}: ${reason}\n`);
    return 2;
  }
  for (const line of command.print(result)) process.stdout.write(line + '\n');
  return 0;
}
