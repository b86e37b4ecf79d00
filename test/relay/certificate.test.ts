import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ensureCertificate } from '../../src/relay/tls/certificate.js';
import * as der from '../../src/relay/tls/der.js';
import { needTool, requireTool } from '../support/system-tools.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'txrelay-cert-'));
const NOW = new Date('2026-03-01T12:00:00Z');

test('der encodes integers minimally with a sign pad, and long lengths in long form', () => {
  assert.equal(der.integer(0).toString('hex'), '020100');
  assert.equal(der.integer(127).toString('hex'), '02017f');
  assert.equal(der.integer(128).toString('hex'), '02020080');
  assert.equal(der.integer(256).toString('hex'), '02020100');
  assert.equal(der.integer(Buffer.from([0, 0, 0x85])).toString('hex'), '0202' + '0085');
  assert.equal(der.octetString(Buffer.alloc(200)).subarray(0, 3).toString('hex'), '0481c8');
  assert.equal(der.octetString(Buffer.alloc(300)).subarray(0, 4).toString('hex'), '0482012c');
});

test('der encodes object identifiers, times and bit strings per X.690', () => {
  assert.equal(der.oid('1.2.840.113549').toString('hex'), '06062a864886f70d');
  assert.equal(der.oid('2.5.29.17').toString('hex'), '0603551d11');
  assert.equal(der.x509Time(new Date('2049-12-31T23:59:59Z')).toString('ascii', 2), '491231235959Z');
  assert.equal(der.x509Time(new Date('2050-01-01T00:00:00Z')).toString('ascii', 2), '20500101000000Z');
  assert.equal(der.bitString(Buffer.from([0x80]), 7).toString('hex'), '03020780');
  assert.equal(der.sequence().toString('hex'), '3000');
});

test('ensureCertificate creates an ECDSA P-256 certificate node:crypto parses, verifies and matches its key', async () => {
  const dir = await tempDir();
  const { key, cert, created } = await ensureCertificate(dir, 'relay.example.com', { now: NOW });
  assert.equal(created, true);
  const x509 = new X509Certificate(cert);
  assert.ok(x509.checkPrivateKey(createPrivateKey(key)));
  assert.ok(x509.verify(x509.publicKey), 'self-signed: verifies with its own public key');
  assert.equal(x509.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(x509.subject, x509.issuer);
  assert.match(x509.subject, /CN=relay\.example\.com/);
  assert.equal(x509.subjectAltName, 'DNS:relay.example.com, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(x509.ca, false);
  assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(new Date(x509.validFrom).toISOString(), '2026-03-01T11:00:00.000Z');
  assert.equal(new Date(x509.validTo).getTime(), NOW.getTime() + 825 * 24 * 3600_000);
  assert.equal((await stat(join(dir, 'tls', 'key.pem'))).mode & 0o777, 0o600);
});

test('ensureCertificate reuses the files of the data folder on later starts', async () => {
  const dir = await tempDir();
  const first = await ensureCertificate(dir, 'relay.example.com');
  const second = await ensureCertificate(dir, 'relay.example.com');
  assert.equal(second.created, false);
  assert.equal(second.cert, first.cert);
  assert.equal(second.key, first.key);
});

test('ensureCertificate replaces a certificate that expires within a week', async () => {
  const dir = await tempDir();
  const old = await ensureCertificate(dir, 'relay.example.com', { now: new Date(Date.now() - 825 * 24 * 3600_000) });
  const renewed = await ensureCertificate(dir, 'relay.example.com');
  assert.equal(renewed.created, true);
  assert.notEqual(renewed.cert, old.cert);
});

test('openssl x509 accepts the certificate and shows its extensions', { skip: needTool('openssl') }, async () => {
  const dir = await tempDir();
  const { cert } = await ensureCertificate(dir, 'mx.example.org');
  const r = spawnSync(requireTool('openssl'), ['x509', '-noout', '-text'], { input: cert, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Version: 3 \(0x2\)/);
  assert.match(r.stdout, /ecdsa-with-SHA256/);
  assert.match(r.stdout, /CA:FALSE/);
  assert.match(r.stdout, /Digital Signature/);
  assert.match(r.stdout, /TLS Web Server Authentication/);
  assert.match(r.stdout, /DNS:mx\.example\.org, DNS:localhost, IP Address:127\.0\.0\.1/);
});

test('a TLS client trusting the certificate completes an authorized handshake to localhost', async () => {
  const dir = await tempDir();
  const { key, cert } = await ensureCertificate(dir, 'relay.example.com');
  const server = tls.createServer({ key, cert, minVersion: 'TLSv1.2' }, (socket) => socket.end('hello'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    for (const servername of ['localhost', 'relay.example.com']) {
      const client = tls.connect({ host: '127.0.0.1', port, servername, ca: cert });
      await once(client, 'secureConnect');
      assert.equal(client.authorized, true, `${servername}: ${String(client.authorizationError)}`);
      client.destroy();
    }
    const wrong = tls.connect({ host: '127.0.0.1', port, servername: 'other.example.net', ca: cert, rejectUnauthorized: false });
    await once(wrong, 'secureConnect');
    assert.equal(wrong.authorized, false, 'a name outside the SAN is not authorized');
    wrong.destroy();
  } finally {
    server.close();
  }
});
