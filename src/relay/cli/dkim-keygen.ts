// `txrelay dkim-keygen --domain D --selector S [--algorithm rsa-sha256|ed25519-sha256] [--bits 2048] [--out FILE]`
// Writes a new private key (PEM, PKCS#8, mode 0600, never over an existing file) and prints the TXT record to publish.
// Exit 0 written, 1 the file could not be written, 2 bad usage.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DKIM_ALGORITHMS, DkimError, MIN_RSA_BITS, dkimRecordText, dkimZoneLine, loadDkimKey, type DkimAlgorithm } from '../dkim/index.js';
import { UsageError, parseOptions } from './options.js';

const USAGE =
  'usage: txrelay dkim-keygen --domain D --selector S [--algorithm rsa-sha256|ed25519-sha256] [--bits 2048] [--out FILE]\n' +
  '  default --out: D.S.pem in the current folder\n';

export async function main(argv: string[]): Promise<number> {
  let domain: string, selector: string, algorithm: DkimAlgorithm, bits: number, out: string;
  try {
    const o = parseOptions(argv, ['domain', 'selector', 'algorithm', 'bits', 'out']);
    domain = o.get('domain') ?? '';
    selector = o.get('selector') ?? '';
    if (domain === '' || selector === '') throw new UsageError('--domain and --selector are required');
    algorithm = (o.get('algorithm') ?? 'rsa-sha256') as DkimAlgorithm;
    if (!DKIM_ALGORITHMS.includes(algorithm)) throw new UsageError(`--algorithm must be one of ${DKIM_ALGORITHMS.join(', ')}`);
    bits = Number(o.get('bits') ?? 2048);
    if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192) throw new UsageError(`--bits must be an integer from ${MIN_RSA_BITS} to 8192`);
    if (o.has('bits') && algorithm !== 'rsa-sha256') throw new UsageError('--bits applies to rsa-sha256 keys only');
    out = o.get('out') ?? `${domain}.${selector}.pem`;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`txrelay dkim-keygen: ${e.message}\n${USAGE}`);
    return 2;
  }
  const { privateKey } =
    algorithm === 'rsa-sha256' ? generateKeyPairSync('rsa', { modulusLength: bits }) : generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    loadDkimKey({ domain, selector, algorithm, privateKeyPem: pem }); // the same checks the relay makes at start
  } catch (e) {
    if (!(e instanceof DkimError)) throw e;
    process.stderr.write(`txrelay dkim-keygen: ${e.message}\n`);
    return 2;
  }
  try {
    writeFileSync(out, pem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`txrelay dkim-keygen: cannot write ${out}: ${code === 'EEXIST' ? 'the file exists (a key is never overwritten)' : (e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `wrote the private key to ${out} (mode 0600)\n` +
      `publish this TXT record in the DNS zone of ${domain}:\n\n` +
      `${dkimZoneLine(domain, selector, dkimRecordText(privateKey))}\n`,
  );
  return 0;
}
