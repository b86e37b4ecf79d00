// The relay's logger: pino JSON lines for machines (systemd, pipes), pino-pretty lines for a person at a terminal.
import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/** `LOG_FORMAT=json|pretty` forces a format; otherwise pretty exactly when stdout is a terminal. */
export function logFormatOf(env: NodeJS.ProcessEnv, stdoutIsTty: boolean): LogFormat | string {
  const forced = env['LOG_FORMAT'];
  if (forced === undefined || forced === '') return stdoutIsTty ? 'pretty' : 'json';
  if (forced === 'json' || forced === 'pretty') return forced;
  return `LOG_FORMAT must be "json" or "pretty", got ${JSON.stringify(forced)}`;
}

export function createLogger(level: string, format: LogFormat): Logger {
  const options = { level, base: { pid: process.pid } };
  if (format === 'json') return pino(options);
  // pino-pretty as a stream in the main thread, not a transport: no worker thread to flush at shutdown, and
  // the lines are written in order with the banner (the cost of pretty printing only matters off a terminal).
  const stream = pinoPretty({
    destination: 1,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  return pino(options, stream);
}
