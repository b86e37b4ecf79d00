// PROXY protocol v1 (text) and v2 (binary) headers, as sent by HAProxy and L4 balancers
// (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt). Accepted only from trusted peers.
import { BlockList, isIP } from 'node:net';

/** v2 signature: "\r\n\r\n\0\r\nQUIT\n". */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** v1 §2.1: a header is at most 107 bytes including CRLF. */
const V1_MAX_LENGTH = 107;
const V2_FIXED_LENGTH = 16;

/** The client address a header announced; null fields mean "use the socket's own" (LOCAL / UNKNOWN). */
export interface ProxyHeader {
  sourceAddress: string | null;
  sourcePort: number;
  /** Bytes the header occupied. */
  length: number;
}

export class ProxyHeaderError {
  constructor(readonly reason: string) {}
}

/** True when `buf` starts like a PROXY header of either version (as far as its bytes go). */
export function looksLikeProxyHeader(buf: Buffer): boolean {
  const n = Math.min(buf.length, V1_PREFIX.length);
  if (n > 0 && buf.compare(V1_PREFIX, 0, n, 0, n) === 0) return true;
  const m = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  return m > 0 && buf.compare(PROXY_V2_SIGNATURE, 0, m, 0, m) === 0;
}

/** Parses a header at the start of `buf`: the header, null when more bytes are needed, or an error. */
export function parseProxyHeader(buf: Buffer): ProxyHeader | null | ProxyHeaderError {
  if (buf.length >= 1 && buf[0] === 0x0d) return parseV2(buf);
  if (buf.length >= 1 && buf[0] === 0x50) return parseV1(buf);
  return buf.length === 0 ? null : new ProxyHeaderError('no PROXY protocol header');
}

function parseV1(buf: Buffer): ProxyHeader | null | ProxyHeaderError {
  const lf = buf.indexOf(0x0a);
  if (lf < 0) return buf.length >= V1_MAX_LENGTH ? new ProxyHeaderError('v1 header longer than 107 bytes') : null;
  if (lf + 1 > V1_MAX_LENGTH || lf === 0 || buf[lf - 1] !== 0x0d) return new ProxyHeaderError('v1 header not ended by CRLF');
  if (buf.length < V1_PREFIX.length || buf.compare(V1_PREFIX, 0, V1_PREFIX.length, 0, V1_PREFIX.length) !== 0) return new ProxyHeaderError('v1 header must start with "PROXY "');
  const parts = buf.toString('latin1', V1_PREFIX.length, lf - 1).split(' ');
  const length = lf + 1;
  if (parts[0] === 'UNKNOWN') return { sourceAddress: null, sourcePort: 0, length };
  if (parts.length !== 5 || (parts[0] !== 'TCP4' && parts[0] !== 'TCP6')) return new ProxyHeaderError('v1 header: expected "TCP4|TCP6 src dst sport dport"');
  const family = parts[0] === 'TCP4' ? 4 : 6;
  if (isIP(parts[1]!) !== family || isIP(parts[2]!) !== family) return new ProxyHeaderError('v1 header: bad address');
  const port = parsePort(parts[3]!);
  if (port < 0 || parsePort(parts[4]!) < 0) return new ProxyHeaderError('v1 header: bad port');
  return { sourceAddress: family === 6 ? canonicalIpv6(parts[1]!) : parts[1]!, sourcePort: port, length };
}

function parsePort(s: string): number {
  if (s.length === 0 || s.length > 5 || (s.length > 1 && s.charCodeAt(0) === 0x30)) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  const n = Number(s);
  return n <= 65535 ? n : -1;
}

function parseV2(buf: Buffer): ProxyHeader | null | ProxyHeaderError {
  const sigBytes = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  if (buf.compare(PROXY_V2_SIGNATURE, 0, sigBytes, 0, sigBytes) !== 0) return new ProxyHeaderError('bad v2 signature');
  if (buf.length < V2_FIXED_LENGTH) return null;
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return new ProxyHeaderError('v2 header: unsupported version');
  const command = verCmd & 0x0f;
  const famProto = buf[13]!;
  const bodyLength = buf.readUInt16BE(14);
  const length = V2_FIXED_LENGTH + bodyLength;
  if (buf.length < length) return null;
  if (command === 0x0) return { sourceAddress: null, sourcePort: 0, length }; // LOCAL: health check by the proxy itself
  if (command !== 0x1) return new ProxyHeaderError('v2 header: unknown command');
  const family = famProto >> 4;
  const p = V2_FIXED_LENGTH;
  if (family === 0x1) {
    if (bodyLength < 12) return new ProxyHeaderError('v2 header: short IPv4 address block');
    const a = `${buf[p]}.${buf[p + 1]}.${buf[p + 2]}.${buf[p + 3]}`;
    return { sourceAddress: a, sourcePort: buf.readUInt16BE(p + 8), length };
  }
  if (family === 0x2) {
    if (bodyLength < 36) return new ProxyHeaderError('v2 header: short IPv6 address block');
    const groups: string[] = [];
    for (let k = 0; k < 8; k++) groups.push(buf.readUInt16BE(p + k * 2).toString(16));
    return { sourceAddress: canonicalIpv6(groups.join(':')), sourcePort: buf.readUInt16BE(p + 32), length };
  }
  // UNSPEC or UNIX: no usable address, keep the socket's.
  return { sourceAddress: null, sourcePort: 0, length };
}

/** RFC 5952 text form (zeros compressed, lower case), so one client has one spelling in limits and logs. */
function canonicalIpv6(address: string): string {
  return normalizeAddress(new URL(`http://[${address}]/`).hostname.slice(1, -1));
}

/** Strips the IPv4-mapped IPv6 prefix so "::ffff:10.0.0.1" and "10.0.0.1" are one client. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.indexOf('.') > 0 ? address.slice(7) : address;
}

/** The peers allowed to send PROXY headers: exact addresses or CIDR ranges ("10.0.0.0/8"). */
export class TrustedProxies {
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      const address = slash < 0 ? entry : entry.slice(0, slash);
      const family = isIP(address);
      if (family === 0) throw new Error(`proxyProtocol.trusted: "${entry}" is not an IP address or CIDR range`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) this.list.addAddress(address, type);
      else {
        const prefix = Number(entry.slice(slash + 1));
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
          throw new Error(`proxyProtocol.trusted: "${entry}" has a bad prefix length`);
        }
        this.list.addSubnet(address, prefix, type);
      }
    }
  }

  has(address: string): boolean {
    const a = normalizeAddress(address);
    const family = isIP(a);
    return family !== 0 && this.list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }
}
