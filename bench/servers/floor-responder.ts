// A reference, not an SMTP server: it answers the load generator's exchange with canned replies and no
// checks at all (no parsing, limits, state or backend). Its CPU per message is the cost of node:net
// sockets for the same reads and writes, the floor any Node SMTP server sits on.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { serveInChild, type ListeningServer } from './serve-in-child.js';

const GREETING = '220 floor.invalid ESMTP\r\n';
const END_OF_DATA = '\r\n.\r\n';
const EHLO_REPLY = '250-floor.invalid\r\n250-PIPELINING\r\n250 8BITMIME\r\n';
const DATA_REPLY = '354 Go ahead\r\n';
const QUIT_REPLY = '221 Bye\r\n';
const OK_REPLY = '250 Ok\r\n';

/** The canned reply, chosen by the first letter of the command only. */
function reply(line: string): string {
  switch (line.charCodeAt(0) | 0x20) {
    case 0x65: // e: EHLO
      return EHLO_REPLY;
    case 0x64: // d: DATA
      return DATA_REPLY;
    case 0x71: // q: QUIT
      return QUIT_REPLY;
    default:
      return OK_REPLY;
  }
}

function serve(socket: Socket): void {
  socket.on('error', () => undefined);
  socket.write(GREETING);
  let pending = '';
  let inData = false;
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let out = '';
    let quit = false;
    for (;;) {
      if (inData) {
        const end = pending.indexOf(END_OF_DATA);
        if (end < 0) {
          // Keep only what could be the start of a terminator split across reads.
          pending = pending.slice(-4);
          break;
        }
        pending = pending.slice(end + END_OF_DATA.length);
        inData = false;
        out += '250 2.0.0 Ok\r\n';
        continue;
      }
      const eol = pending.indexOf('\r\n');
      if (eol < 0) break;
      const line = pending.slice(0, eol);
      pending = pending.slice(eol + 2);
      const r = reply(line);
      out += r;
      if (r === DATA_REPLY) {
        // The body follows; a terminator right after DATA needs the CRLF that ended the command.
        inData = true;
        pending = '\r\n' + pending;
      } else if (r === QUIT_REPLY) {
        quit = true;
        break;
      }
    }
    if (quit) socket.end(out);
    else if (out !== '') socket.write(out);
  });
}

export async function startFloorResponder(_options: unknown, host = '127.0.0.1', port = 0): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

// Started by startServerChild: run as a child process, otherwise only export the starter.
if (process.send && process.argv[1]?.endsWith('floor-responder.js')) serveInChild(startFloorResponder);
