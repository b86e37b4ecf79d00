// An admin token for configurations that enable the admin server without one (the embedded default):
// generated once, kept in `<dataDir>/admin-token` (mode 0600) so it survives restarts, and printed at start.
import { randomBytes } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_TOKEN_LENGTH } from './bearer-token.js';
import { writeFileDurably } from '../storage/durable-file.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export async function ensureAdminToken(dataDir: string): Promise<{ token: string; path: string; created: boolean }> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (token.length >= MIN_TOKEN_LENGTH && /^[A-Za-z0-9_-]+$/.test(token)) {
      await chmod(path, 0o600);
      return { token, path, created: false };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('base64url');
  await writeFileDurably(path, token + '\n', { mode: 0o600 });
  return { token, path, created: true };
}
