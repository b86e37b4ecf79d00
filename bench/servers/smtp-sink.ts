// Postfix's C discard server, an optional peer and upstream (Debian package postfix): where it lives, and a free
// loopback port to start it on (smtp-sink takes a port, not 0).
import { createServer } from 'node:net';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

/** A loopback port free at the time of the call. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
