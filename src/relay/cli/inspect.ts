// `txrelay inspect [FILE|-]`: prints, as stable JSON, what the relay would keep from a message.
import stringify from 'fast-json-stable-stringify';
import { MessageParser } from '../../mime/message-parser.js';
import type { ParsedMessage } from '../../mime/parsed-message.js';
import { runMessageCommand } from './message-command.js';

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

export function main(argv: string[]): Promise<number> {
  return runMessageCommand<ParsedMessage>(
    { name: 'inspect', usage: USAGE, parser: () => new MessageParser(), print: (parsed) => [stringify(inspectView(parsed))] },
    argv,
  );
}
