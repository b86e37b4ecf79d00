// The fallback upstream for the delivery benchmark when Postfix's smtp-sink is not installed: smtp-server in a
// process of its own, discarding every message and printing smtp-sink's `-c` counter (`mesg=N\r`) on stdout, so
// the benchmark reads both upstreams the same way. Usage: node upstream-child.js <port> [<address>].
import { SMTPServer } from 'smtp-server';

let messages = 0;
let printed = -1;
const server = new SMTPServer({
  logger: false,
  disableReverseLookup: true,
  authOptional: true,
  hideSTARTTLS: true,
  disabledCommands: ['AUTH'],
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.resume();
    stream.on('end', () => {
      messages++;
      callback();
    });
  },
});
// A counter line per message would cost the upstream more than the message; every 10 ms is enough to poll.
setInterval(() => {
  if (messages === printed) return;
  printed = messages;
  process.stdout.write(`mesg=${messages}\r`);
}, 10);
server.on('error', () => undefined);
server.listen(Number(process.argv[2]), process.argv[3] ?? '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
