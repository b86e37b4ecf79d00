// One-call form of MessageParser for a whole Buffer or a stream of chunks.
import type { MimeLimits } from './limits.js';
import { MessageParser } from './message-parser.js';
import type { ParsedMessage } from './parsed-message.js';

export async function parseMessage(
  input: Buffer | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options?: Partial<MimeLimits>,
): Promise<ParsedMessage> {
  return parseMessageSync(input instanceof Uint8Array ? input : [], options);
}

export function parseMessageSync(input: Uint8Array | Iterable<Uint8Array>, options?: Partial<MimeLimits>): ParsedMessage {
  const parser = new MessageParser(options);
  if (input instanceof Uint8Array) parser.write(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  return parser.end();
}
