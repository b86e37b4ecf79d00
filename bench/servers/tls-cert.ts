// A throwaway self-signed P-256 certificate for localhost, 127.0.0.1 and ::1, in a fresh temp folder, for STARTTLS
// benchmarks and tests. Made by the relay's own generator (src/relay/tls/certificate.ts), so no openssl is needed.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '../../src/relay/tls/certificate.js';

export interface TestCertificate {
  dir: string;
  keyPath: string;
  certPath: string;
  /** PEM private key (PKCS#8) and certificate, as written to keyPath and certPath. */
  key: Buffer;
  cert: Buffer;
  /** Deletes the temporary folder holding the key and certificate. */
  remove(): void;
}

export function createTestCertificate(commonName = 'localhost'): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = Buffer.from(createSelfSignedCertificate(privateKey, publicKey, commonName, { validityDays: 2 }));
  const key = Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-test-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  writeFileSync(keyPath, key, { mode: 0o600 });
  writeFileSync(certPath, cert);
  return { dir, keyPath, certPath, key, cert, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
