// DKIM signing keys: loading and checking (RSA at least 2048 bits, RFC 8301 §3.2), which keys sign a message
// (its From domain equals the key's domain or is a subdomain: relaxed alignment, RFC 7489 §3.1.1), and the
// public key as the DNS TXT record publishes it (RFC 6376 §3.6.1; Ed25519 per RFC 8463 §4).
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';
export const DKIM_ALGORITHMS: readonly DkimAlgorithm[] = ['rsa-sha256', 'ed25519-sha256'];

/** RFC 8301 §3.2 allows 1024; the relay requires 2048, as Gmail and Yahoo recommend. */
export const MIN_RSA_BITS = 2048;

/** One key as configured: who it signs for and the PEM private key (PKCS#8 or PKCS#1). */
export interface DkimKeyConfig {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  privateKeyPem: string;
  /** Who may sign with it (the relay: an account id); sign() with an owner uses only that owner's keys. */
  owner?: string;
}

/** A key checked and parsed once, ready to sign with. */
export interface DkimKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
  readonly owner: string | null;
}

export type DkimErrorKind = 'key' | 'body' | 'queue-full' | 'worker-crash' | 'timeout' | 'closed' | 'record';

/** Every DKIM failure: a bad key, a full queue, a worker that crashed or timed out, a closed signer, a bad record. */
export class DkimError extends Error {
  readonly kind: DkimErrorKind;
  constructor(kind: DkimErrorKind, message: string) {
    super(message);
    this.name = 'DkimError';
    this.kind = kind;
  }
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const SELECTOR = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Parses and checks a configured key: the algorithm matches the key type, RSA keys have at least 2048 bits. */
export function loadDkimKey(config: DkimKeyConfig): DkimKey {
  const where = `DKIM key ${config.selector}._domainkey.${config.domain}`;
  const domain = config.domain.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(domain)) throw new DkimError('key', `${where}: "${config.domain}" is not a domain name`);
  if (!SELECTOR.test(config.selector)) throw new DkimError('key', `${where}: "${config.selector}" is not a valid selector`);
  if (!DKIM_ALGORITHMS.includes(config.algorithm)) throw new DkimError('key', `${where}: algorithm must be one of ${DKIM_ALGORITHMS.join(', ')}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(config.privateKeyPem);
  } catch (e) {
    throw new DkimError('key', `${where}: the private key cannot be read (${e instanceof Error ? e.message : String(e)})`);
  }
  const type = privateKey.asymmetricKeyType;
  if (config.algorithm === 'rsa-sha256') {
    if (type !== 'rsa') throw new DkimError('key', `${where}: algorithm rsa-sha256 needs an RSA key, this one is ${type}`);
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new DkimError('key', `${where}: the RSA key has ${bits} bits, at least ${MIN_RSA_BITS} are required`);
  } else if (type !== 'ed25519') {
    throw new DkimError('key', `${where}: algorithm ed25519-sha256 needs an Ed25519 key, this one is ${type}`);
  }
  return { domain, selector: config.selector, algorithm: config.algorithm, privateKeyPem: config.privateKeyPem, privateKey, owner: config.owner ?? null };
}

/** The keys that sign a message from `fromDomain`: its own domain's and its parent domains' (relaxed alignment). */
export function keysForDomain<K extends { readonly domain: string }>(keys: readonly K[], fromDomain: string): K[] {
  const d = fromDomain.toLowerCase().replace(/\.$/, '');
  return keys.filter((k) => d === k.domain || d.endsWith(`.${k.domain}`));
}

/** The p= value: base64 of the SubjectPublicKeyInfo for RSA, of the raw 32-byte key for Ed25519 (RFC 8463 §4). */
export function publicKeyValue(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const spki = pub.export({ type: 'spki', format: 'der' });
  if (pub.asymmetricKeyType === 'ed25519') return spki.subarray(spki.length - 32).toString('base64');
  return spki.toString('base64');
}

/** The TXT record's text: "v=DKIM1; k=rsa; p=..." or "v=DKIM1; k=ed25519; p=...". */
export function dkimRecordText(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const k = pub.asymmetricKeyType === 'ed25519' ? 'ed25519' : 'rsa';
  return `v=DKIM1; k=${k}; p=${publicKeyValue(pub)}`;
}

/** The zone-file line to publish, the text split into strings of at most 255 bytes (RFC 1035 §3.3.14). */
export function dkimZoneLine(domain: string, selector: string, recordText: string): string {
  const strings: string[] = [];
  for (let i = 0; i < recordText.length; i += 255) strings.push(`"${recordText.slice(i, i + 255)}"`);
  return `${selector}._domainkey.${domain} IN TXT ${strings.join(' ')}`;
}

/** The tags of a DKIM key record (RFC 6376 §3.6.1), names in lower case, FWS removed from p=. */
export function parseDkimRecord(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    tags.set(name, name === 'p' ? value.replace(/\s+/g, '') : value);
  }
  return tags;
}
