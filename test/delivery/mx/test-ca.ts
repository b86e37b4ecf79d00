// A private certificate authority made with openssl (Debian's openssl package) in a test's temporary folder: a CA
// certificate, and one server certificate it signs for the given DNS names. Tests guard with needTool('openssl').
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTool } from '../../support/system-tools.js';

export interface TestCa {
  /** Path of the CA certificate (PEM): the route's caFile. */
  caFile: string;
  /** The server's key and certificate (PEM), valid for every name given. */
  key: string;
  cert: string;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(requireTool('openssl'), args, { cwd, timeout: 30_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

export async function makeTestCa(dir: string, names: string[]): Promise<TestCa> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=txrelay test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${names[0]}`], dir);
  await writeFile(join(dir, 'server.ext'), [
    `subjectAltName = ${names.map((n) => `DNS:${n}`).join(', ')}`,
    'basicConstraints = CA:FALSE',
    'keyUsage = digitalSignature',
    'extendedKeyUsage = serverAuth',
    '',
  ].join('\n'));
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
  return { caFile: join(dir, 'ca.pem'), key: await readFile(join(dir, 'server.key'), 'utf8'), cert: await readFile(join(dir, 'server.pem'), 'utf8') };
}
