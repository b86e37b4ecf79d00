// The HMAC key of the public links: the configured publicHttp.secret, or one generated once into
// `<dataDir>/link-secret` (mode 0600, written durably) so links keep working across restarts.
import { randomBytes } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../storage/durable-file.js';

export const LINK_SECRET_FILE = 'link-secret';

export async function ensureLinkSecret(dataDir: string, configured: string | null): Promise<{ secret: Buffer; path: string | null; created: boolean }> {
  if (configured !== null) return { secret: Buffer.from(configured, 'utf8'), path: null, created: false };
  const path = join(dataDir, LINK_SECRET_FILE);
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (/^[A-Za-z0-9_-]{43,}$/.test(text)) {
      await chmod(path, 0o600);
      return { secret: Buffer.from(text, 'base64url'), path, created: false };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  await writeFileDurably(path, secret.toString('base64url') + '\n', { mode: 0o600 });
  return { secret, path, created: true };
}
