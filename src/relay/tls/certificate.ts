// The self-signed certificate used when no certificate is configured (SPEC §1): an ECDSA P-256 key and an
// X.509 v3 certificate built with der.ts and signed by node:crypto, so no external program (openssl) is needed.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import * as der from './der.js';
import { writeFileDurably } from '../storage/durable-file.js';

const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

export interface CertificateFiles {
  /** PEM private key (PKCS#8). */
  key: string;
  /** PEM certificate. */
  cert: string;
  /** True when this call generated them, false when they were reused from the data folder. */
  created: boolean;
}

export interface SelfSignedOptions {
  /** Start of validity; default now. A certificate is valid from one hour before, to allow for clock skew. */
  now?: Date;
  validityDays?: number;
}

/** Reuse refuses a certificate that expires sooner than this, so a long-running data folder renews itself at start. */
const RENEW_BEFORE_MS = 7 * 24 * 3600_000;

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(id), der.octetString(value));
}

function name(commonName: string): Buffer {
  return der.sequence(
    der.set(der.sequence(der.oid(OID.organizationName), der.utf8String('txrelay self-signed'))),
    der.set(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))),
  );
}

/** IP addresses as 4 or 16 octets for an iPAddress GeneralName. */
function ipOctets(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function subjectAltNames(hostname: string): Buffer {
  const dns = new Set<string>();
  const ips = new Set<string>(['127.0.0.1', '::1']);
  if (isIP(hostname)) ips.add(hostname);
  else {
    const ascii = domainToASCII(hostname);
    if (ascii) dns.add(ascii.toLowerCase());
  }
  dns.add('localhost');
  return der.sequence(
    ...[...dns].map((d) => der.contextPrimitive(2, Buffer.from(d, 'ascii'))),
    ...[...ips].map((ip) => der.contextPrimitive(7, ipOctets(ip))),
  );
}

/** Builds a self-signed X.509 v3 server certificate for `hostname`, signed with ecdsa-with-SHA256. */
export function createSelfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, hostname: string, options: SelfSignedOptions = {}): string {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + (options.validityDays ?? 825) * 24 * 3600_000);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The subjectPublicKey BIT STRING content is the last 65 bytes of a P-256 SPKI (uncompressed point).
  const keyId = createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // RFC 5280 §4.1.2.2: positive, at most 20 octets
  serial[0]! |= 0x01; // and never leading-zero-shortened below 16 octets
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const subject = name(hostname);
  const tbs = der.sequence(
    der.contextExplicit(0, der.integer(2)), // v3
    der.integer(serial),
    algorithm,
    subject, // issuer = subject: self-signed
    der.sequence(der.x509Time(notBefore), der.x509Time(notAfter)),
    subject,
    spki,
    der.contextExplicit(
      3,
      der.sequence(
        extension(OID.basicConstraints, true, der.sequence()), // cA FALSE is the default, so the sequence is empty
        extension(OID.keyUsage, true, der.bitString(Buffer.from([0x80]), 7)), // digitalSignature = bit 0
        extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
        extension(OID.subjectAltName, false, subjectAltNames(hostname)),
        extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const certificate = der.sequence(tbs, algorithm, der.bitString(signature));
  const b64 = certificate.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Reuses `<dataDir>/tls/{cert,key}.pem` when they match, parse and are not about to expire. */
async function reuse(certPath: string, keyPath: string, now: Date): Promise<CertificateFiles | null> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch {
    return null;
  }
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return null;
    if (new Date(x509.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return null;
  } catch {
    return null;
  }
  return { key, cert, created: false };
}

/**
 * The self-signed certificate of this data folder: created at first start (key mode 0600), reused later,
 * and replaced when it is unreadable, does not match its key, or expires within a week.
 */
export async function ensureCertificate(dataDir: string, hostname: string, options: SelfSignedOptions = {}): Promise<CertificateFiles> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const reused = await reuse(certPath, keyPath, options.now ?? new Date());
  if (reused) return reused;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = createSelfSignedCertificate(privateKey, publicKey, hostname, options);
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  // Key first: a crash between the two leaves a cert-less key, which the next start simply replaces.
  await writeFileDurably(keyPath, key, { mode: 0o600 });
  await writeFileDurably(certPath, cert, { mode: 0o644 });
  return { key, cert, created: true };
}
