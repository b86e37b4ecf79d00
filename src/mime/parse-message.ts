// One-call form of MessageParser for a whole Buffer or a stream of chunks.
import type { MimeLimits } from './limits.js';
import { MessageParser } from './message-parser.js';
import type { ParsedMessage } from './parsed-message.js';

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Parses a message given whole or as chunks (a Readable, an async generator). Rejects only with MimeLimitError. */
export async function parseMessage(
  input: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options?: Partial<MimeLimits>,
): Promise<ParsedMessage> {
  if (input instanceof Uint8Array || Symbol.iterator in Object(input)) {
    return parseMessageSync(input as Uint8Array | Iterable<Uint8Array>, options);
  }
  const parser = new MessageParser(options);
  for await (const chunk of input as AsyncIterable<Uint8Array>) parser.write(asBuffer(chunk));
  return parser.end();
}

/** Synchronous form for a message already in memory. */
export function parseMessageSync(input: Uint8Array | Iterable<Uint8Array>, options?: Partial<MimeLimits>): ParsedMessage {
  const parser = new MessageParser(options);
  if (input instanceof Uint8Array) parser.write(asBuffer(input));
  else for (const chunk of input) parser.write(asBuffer(chunk));
  return parser.end();
}
