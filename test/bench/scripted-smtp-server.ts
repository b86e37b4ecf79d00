// A minimal SMTP server for load generator tests: it records how commands arrived (one read = one batch)
// and answers each command with whatever the test's script says, including nothing at all.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** The reply for one command line (without CRLF); null sends nothing. */
export type CommandScript = (line: string) => string | null;

export interface ScriptedSmtpServer {
  port: number;
  /** Command lines received in each read, outside DATA. */
  readonly batches: string[][];
  /** Bodies received between 354 and the final dot (still dot-stuffed). */
  readonly bodies: string[];
  close(): Promise<void>;
}

export const standardScript: CommandScript = (line) => {
  const verb = line.split(' ', 1)[0]!.toUpperCase();
  if (verb === 'EHLO') return '250-test.invalid\r\n250 PIPELINING';
  if (verb === 'DATA') return '354 Go ahead';
  if (verb === 'QUIT') return '221 Bye';
  return '250 Ok';
};

export async function startScriptedSmtpServer(script: CommandScript = standardScript, greeting: string | null = '220 test.invalid ESMTP'): Promise<ScriptedSmtpServer> {
  const batches: string[][] = [];
  const bodies: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    let inData = false;
    if (greeting !== null) socket.write(`${greeting}\r\n`);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const batch: string[] = [];
      let replies = '';
      for (;;) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end < 0) break;
          bodies.push(buffered.slice(0, end + 2));
          buffered = buffered.slice(end + 5);
          inData = false;
          const reply = script('.');
          if (reply !== null) replies += `${reply}\r\n`;
          continue;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol < 0) break;
        const line = buffered.slice(0, eol);
        buffered = buffered.slice(eol + 2);
        batch.push(line);
        const reply = script(line);
        if (reply !== null) replies += `${reply}\r\n`;
        if (reply?.startsWith('354')) inData = true;
        if (line.toUpperCase() === 'QUIT') {
          socket.end(replies);
          replies = '';
          break;
        }
      }
      if (batch.length > 0) batches.push(batch);
      if (replies !== '' && !socket.destroyed) socket.write(replies);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    batches,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
