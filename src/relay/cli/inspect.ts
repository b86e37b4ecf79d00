// `txrelay inspect [FILE|-]`: prints, as stable JSON, what the relay would keep from a message.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import stringify from 'fast-json-stable-stringify';
import { MimeLimitError } from '../../mime/limits.js';
import { MessageParser } from '../../mime/message-parser.js';
import type { ParsedMessage } from '../../mime/parsed-message.js';

const USAGE = 'usage: txrelay inspect [FILE|-]   (reads standard input when FILE is - or absent)\n';

/** The JSON shape printed: the API key is never shown, only whether it is there. */
export function inspectView(m: ParsedMessage): Record<string, unknown> {
  const h = m.headers;
  return {
    html: m.html,
    text: m.text,
    subject: h.subject,
    from: h.from,
    to: h.to,
    replyTo: h.replyTo,
    tag: h.tag,
    route: h.route,
    template: h.template,
    variables: h.variables,
    apiKey: h.apiKey === null ? 'absent' : 'present',
    dropped: m.dropped,
  };
}

async function parseStream(stream: Readable): Promise<ParsedMessage> {
  const parser = new MessageParser();
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
  let parsed: ParsedMessage;
  try {
    parsed = await parseStream(stream);
  } catch (e) {
    if (e instanceof MimeLimitError) {
      process.stderr.write(`txrelay inspect: message refused: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    process.stderr.write(`txrelay inspect: cannot read ${file === '-' ? 'standard input' : file}: ${reason}\n`);
    return 2;
  }
  process.stdout.write(stringify(inspectView(parsed)) + '\n');
  return 0;
}
