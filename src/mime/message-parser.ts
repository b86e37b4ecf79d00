// Push parser: fed the message in chunks, keeps only the headers and body the relay needs.
import { type MimeLimits, resolveLimits } from './limits.js';
import type { ParsedMessage } from './parsed-message.js';

export class MessageParser {
  readonly limits: MimeLimits;
  constructor(options?: Partial<MimeLimits>) {
    this.limits = resolveLimits(options);
  }
  write(_chunk: Buffer): void {}
  end(): ParsedMessage {
    return { html: null, text: null, headers: { from: null, to: [], subject: null, replyTo: null, tag: null, route: null, template: null, variables: null, apiKey: null }, dropped: [] };
  }
}
