// The child side of startServerChild: start a server, report its port, answer stats, stop on request.
import type { ServerChildCommand, ServerChildMessage } from './child-messages.js';

/** A server as the child sees it: where it listens and how to close it. */
export interface ListeningServer {
  port: number;
  close(): Promise<void>;
}

function send(message: ServerChildMessage, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}

/** Runs `start(options)` with the JSON options from argv[2] and serves the parent's IPC commands. */
export function serveInChild<O>(start: (options: O) => Promise<ListeningServer>): void {
  if (!process.send) throw new Error('a server child must be started with child_process.fork (IPC channel)');
  const options = JSON.parse(process.argv[2] ?? '{}') as O;
  // A benchmark that dies (Ctrl-C, crash) must not leave its servers running.
  process.on('disconnect', () => process.exit(0));
  start(options).then(
    (server) => {
      process.on('message', (message: ServerChildCommand) => {
        if (message.cmd === 'stats') {
          send({ stats: { cpu: process.cpuUsage(), memory: process.memoryUsage() }, id: message.id });
        } else if (message.cmd === 'stop') {
          // exit() rather than waiting for the event loop: a server may keep timers or loggers alive.
          server.close().finally(() => send({ stopped: true }, () => process.exit(0)));
        }
      });
      send({ port: server.port });
    },
    (err: unknown) => {
      send({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1));
    },
  );
}
