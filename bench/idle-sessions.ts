// Opens many SMTP sessions and leaves them idle after EHLO (and STARTTLS + EHLO), to measure a server's memory.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface IdleSessions {
  opened: number;
  failed: number;
  close(): void;
}

/** Resolves when `pattern` has been seen on the socket since the last call, or rejects after timeoutMs. */
function expectReply(sock: Socket | TLSSocket, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => finish(new Error(`no reply matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      if (pattern.test(got)) finish(null);
    };
    const onEnd = (): void => finish(new Error('closed'));
    const finish = (err: Error | null): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('error', onEnd);
      sock.off('close', onEnd);
      if (err) reject(err);
      else resolve();
    };
    sock.on('data', onData);
    sock.on('error', onEnd);
    sock.on('close', onEnd);
  });
}

async function openOne(port: number, tls: boolean): Promise<Socket | TLSSocket> {
  const plain = connect(port, '127.0.0.1');
  plain.on('error', () => undefined);
  await expectReply(plain, /^220 [^\r\n]*\r\n/m, 30_000);
  plain.write('EHLO idle.bench\r\n');
  await expectReply(plain, /^250 [^\r\n]*\r\n/m, 30_000);
  if (!tls) return plain;
  plain.write('STARTTLS\r\n');
  await expectReply(plain, /^220 [^\r\n]*\r\n/m, 30_000);
  const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
  secure.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => resolve());
    secure.once('error', reject);
  });
  secure.write('EHLO idle.bench\r\n');
  await expectReply(secure, /^250 [^\r\n]*\r\n/m, 30_000);
  return secure;
}

/** Opens `count` sessions, `parallel` at a time (the listen backlog is finite). */
export async function openIdleSessions(port: number, count: number, tls: boolean, parallel = 100): Promise<IdleSessions> {
  const sockets: (Socket | TLSSocket)[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      try {
        sockets.push(await openOne(port, tls));
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return {
    opened: sockets.length,
    failed,
    close() {
      for (const s of sockets) s.destroy();
    },
  };
}
