// `txrelay parse-report [FILE|-]`: prints what the report parser finds, one stable JSON line per recipient.
// Exit 0 when the message was read (nothing printed when it is no report: a read notice, an ordinary message),
// 1 when it passes a parser limit, 2 when the input cannot be read.
import stringify from 'fast-json-stable-stringify';
import { ReportParser } from '../feedback/report-parser.js';
import type { FeedbackRecord } from '../feedback/feedback-record.js';
import { runMessageCommand } from './message-command.js';

const USAGE = 'usage: txrelay parse-report [FILE|-]   (reads standard input when FILE is - or absent)\n';

export function main(argv: string[]): Promise<number> {
  return runMessageCommand<FeedbackRecord[]>(
    { name: 'parse-report', usage: USAGE, parser: () => new ReportParser(), print: (records) => records.map((r) => stringify(r)) },
    argv,
  );
}
