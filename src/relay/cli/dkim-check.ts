// `txrelay dkim-check --domain D --selector S --key FILE [--dns-server ADDR[:PORT]]`
// Looks up S._domainkey.D TXT and says whether its public key is the one of the private key FILE.
// Exit 0 the record matches, 1 it is missing or differs, 2 bad usage or an unreadable key.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { dkimRecordText, parseDkimRecord, publicKeyValue } from '../dkim/index.js';
import { UsageError, parseOptions } from './options.js';

const USAGE = 'usage: txrelay dkim-check --domain D --selector S --key FILE [--dns-server ADDR[:PORT]]\n';

/** Why a record does not publish `key`, or null when it does. */
export function recordMismatch(recordText: string, key: KeyObject): string | null {
  const tags = parseDkimRecord(recordText);
  const want = parseDkimRecord(dkimRecordText(key));
  if ((tags.get('v') ?? 'DKIM1') !== 'DKIM1') return `v=${tags.get('v')} is not DKIM1`;
  const k = tags.get('k') ?? 'rsa';
  if (k !== want.get('k')) return `the record has k=${k}, the key is ${want.get('k')}`;
  const p = tags.get('p') ?? '';
  if (p === '') return 'the record has an empty p= (the key is revoked)';
  if (p !== publicKeyValue(key)) return 'the record publishes another public key (p= differs)';
  return null;
}

export async function main(argv: string[]): Promise<number> {
  let domain: string, selector: string, keyFile: string, server: string | undefined;
  try {
    const o = parseOptions(argv, ['domain', 'selector', 'key', 'dns-server']);
    domain = o.get('domain') ?? '';
    selector = o.get('selector') ?? '';
    keyFile = o.get('key') ?? '';
    server = o.get('dns-server');
    if (domain === '' || selector === '' || keyFile === '') throw new UsageError('--domain, --selector and --key are required');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`txrelay dkim-check: ${e.message}\n${USAGE}`);
    return 2;
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (e) {
    process.stderr.write(`txrelay dkim-check: cannot read the key ${keyFile}: ${(e as Error).message}\n`);
    return 2;
  }
  const name = `${selector}._domainkey.${domain}`;
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (server !== undefined) resolver.setServers([server]);
  let records: string[];
  try {
    records = (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTFOUND' || code === 'ENODATA' ? 'no TXT record' : `DNS lookup failed (${code ?? (e as Error).message})`;
    process.stdout.write(`${name}: ${why}\npublish:\n${name} IN TXT "${dkimRecordText(key)}"\n`);
    return 1;
  }
  const dkim = records.filter((r) => /^\s*v\s*=\s*DKIM1\b/i.test(r) || /(^|;)\s*p\s*=/.test(r));
  if (dkim.length === 0) {
    process.stdout.write(`${name}: no DKIM key record among ${records.length} TXT record(s)\n`);
    return 1;
  }
  const problems = dkim.map((r) => recordMismatch(r, key));
  if (problems.includes(null)) {
    process.stdout.write(`${name}: ok, the published record matches the key ${keyFile}\n`);
    return 0;
  }
  process.stdout.write(`${name}: does not match the key ${keyFile}: ${problems.join('; ')}\n`);
  return 1;
}
