// A throwaway self-signed P-256 certificate for STARTTLS benchmarks, made once per run with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  keyPath: string;
  certPath: string;
  /** Deletes the temporary folder holding the key and certificate. */
  remove(): void;
}

export function createTestCertificate(commonName = 'localhost'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-bench-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', `/CN=${commonName}`, '-keyout', keyPath, '-out', certPath],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { keyPath, certPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
