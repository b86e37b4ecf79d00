// Test keys, made once per test file: an RSA-2048 and an Ed25519 key for example.com, and the TXT records for them.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { dkimRecordText, type DkimKeyConfig } from '../../src/relay/dkim/index.js';
import type { DkimRecords } from './verifiers.js';

export const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const edPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

export const RSA_KEY: DkimKeyConfig = { domain: 'example.com', selector: 'rsa2026', algorithm: 'rsa-sha256', privateKeyPem: rsaPem };
export const ED_KEY: DkimKeyConfig = { domain: 'example.com', selector: 'ed2026', algorithm: 'ed25519-sha256', privateKeyPem: edPem };

export const RECORDS: DkimRecords = {
  'rsa2026._domainkey.example.com': dkimRecordText(createPrivateKey(rsaPem)),
  'ed2026._domainkey.example.com': dkimRecordText(createPrivateKey(edPem)),
};
