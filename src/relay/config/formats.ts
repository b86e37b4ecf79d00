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


/** A DNS server as node:dns setServers takes it: "ip", "ip:port" or "[ipv6]:port". */
export function checkDnsServer(s: string): string | null {
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s);
  const hostPort = /^([^:]+):(\d{1,5})$/.exec(s);
  const [addr, port] = bracketed ? [bracketed[1]!, bracketed[2]!] : hostPort ? [hostPort[1]!, hostPort[2]!] : [s, null];
  if (isIP(addr) === 0 || (bracketed && isIP(addr) !== 6)) return `must be an IP address, optionally with a port ("127.0.0.1:5353", "[::1]:53"), got ${JSON.stringify(s)}`;
  if (port !== null && (Number(port) < 1 || Number(port) > 65535)) return `has a port outside 1-65535 in ${JSON.stringify(s)}`;
  return null;
}
