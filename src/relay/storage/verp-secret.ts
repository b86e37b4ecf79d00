// The key that signs VERP return paths (feedback/verp-address.ts): generated once, kept in `<dataDir>/verp-secret`
// (mode 0600) so that return paths of messages sent before a restart still verify. Relays that share a bounce
// domain share this file.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';

export const VERP_SECRET_FILE = 'verp-secret';

export async function ensureVerpSecret(dataDir: string): Promise<{ secret: Buffer; path: string; created: boolean }> {
  const path = join(dataDir, VERP_SECRET_FILE);
  try {
    const secret = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64url');
    if (secret.length >= 32) return { secret, path, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  await writeFileDurably(path, secret.toString('base64url') + '\n', { mode: 0o600 });
  return { secret, path, created: true };
}
