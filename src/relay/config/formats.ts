// The formats of configured values (names, tags, key hashes, hosts, addresses), each with its check.
import { closeSync, openSync, statSync } from 'node:fs';
import { isIP } from 'node:net';

export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const TAG_PATTERN = /^[a-z0-9._-]{1,64}$/;
export const API_KEY_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;
export const DOMAIN_PATTERN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
export const ADDRESS_PATTERN = /^[^\s@<>"]+@[^\s@<>"]+$/;
export const MAX_INT = Number.MAX_SAFE_INTEGER;

export function readableFile(path: string): string | null {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path} is not a regular file`;
    closeSync(openSync(path, 'r'));
    return null;
  } catch (err) {
    return `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

export function isHostName(s: string): boolean {
  return isIP(s) !== 0 || DOMAIN_PATTERN.test(s.toLowerCase());
}

export function checkAddressOrCidr(s: string): string | null {
  const [addr, prefix, extra] = s.split('/');
  const family = isIP(addr ?? '');
  if (family === 0 || extra !== undefined) return `must be an IP address or CIDR range, got ${JSON.stringify(s)}`;
  if (prefix !== undefined) {
    const n = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
    if (n < 0 || n > (family === 4 ? 32 : 128)) return `has an invalid prefix length in ${JSON.stringify(s)}`;
  }
  return null;
}

