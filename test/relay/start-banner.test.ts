// The start banner's text for the cases a first start cannot show: three ports, --config, no admin page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { startBanner } from '../../src/relay/cli/start-banner.js';

const anyAddress = (port: number): AddressInfo => ({ address: '0.0.0.0', family: 'IPv4', port });
const KEY = 'txr_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

test('with the three default ports, the commands use 2525 (no root needed) on loopback', () => {
  const text = startBanner({
    listening: [anyAddress(587), anyAddress(2525), anyAddress(8025)],
    dataDir: '/srv/data',
    selfSignedCert: '/srv/data/tls/cert.pem',
    demo: { key: KEY, keyFile: '/srv/data/demo-api-key', outbox: '/srv/data/outbox' },
    admin: { url: 'http://127.0.0.1:9025/', tokenFrom: '/srv/data/admin-token' },
  });
  assert.match(text, /SMTP +ports 587, 2525, 8025 on 0\.0\.0\.0 /);
  assert.match(text, /swaks --server 127\.0\.0\.1 --port 2525 /);
  assert.match(text, /curl -sS --url smtp:\/\/127\.0\.0\.1:2525 --ssl-reqd --cacert \/srv\/data\/tls\/cert\.pem --user app:txr_/);
});

test('a data folder with a space is quoted in the printed commands', () => {
  const text = startBanner({
    listening: [anyAddress(8025)],
    dataDir: '/home/ann/my relay',
    selfSignedCert: '/home/ann/my relay/tls/cert.pem',
    demo: { key: KEY, keyFile: '/home/ann/my relay/demo-api-key', outbox: '/home/ann/my relay/outbox' },
    admin: null,
  });
  assert.ok(text.includes(`--cacert '/home/ann/my relay/tls/cert.pem'`), text);
  assert.ok(text.includes(`then: ls '/home/ann/my relay/outbox'`), text);
  assert.match(text, /Dashboard +not running/);
});

test('with --config (no demo key) there are no commands, and the token is the configured one', () => {
  const text = startBanner({
    listening: [{ address: '192.0.2.10', family: 'IPv4', port: 2525 }, { address: '::1', family: 'IPv6', port: 2525 }],
    dataDir: '/var/lib/txrelay',
    selfSignedCert: null,
    demo: null,
    admin: { url: 'http://127.0.0.1:9025/', tokenFrom: 'admin.token in the configuration' },
  });
  assert.match(text, /SMTP +192\.0\.2\.10:2525, ::1:2525 /);
  assert.doesNotMatch(text, /API key|swaks|curl|self-signed/);
  assert.match(text, /admin token: admin\.token in the configuration/);
});
