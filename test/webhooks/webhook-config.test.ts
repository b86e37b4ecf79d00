import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { validateConfig } from '../../src/relay/config/index.js';
import { generateWebhookSecret, webhookSecretKey } from '../../src/relay/webhooks/index.js';

const SECRET = generateWebhookSecret();

function withWebhooks(webhooks: unknown): unknown {
  return { accounts: [{ id: 'a', apiKeys: [hashApiKey('txr_k')], routes: { out: { type: 'file', path: 'outbox' } }, webhooks }] };
}

function errors(webhooks: unknown, baseDir = '/tmp'): string[] {
  return validateConfig(withWebhooks(webhooks), baseDir).errors.map((e) => `${e.path}: ${e.message}`);
}

test('a webhook endpoint validates with its defaults; the three event types the relay does not emit yet are accepted', () => {
  const { config, errors: errs } = validateConfig(withWebhooks([{ id: 'app', url: 'https://app.example/hooks/mail', events: ['delivered', 'failed', 'bounced', 'complained', 'unsubscribed', 'suppressed', 'deferred'], secret: SECRET }]), '/tmp');
  assert.deepEqual(errs, []);
  assert.deepEqual(config!.accounts[0]!.webhooks, [{
    id: 'app', url: 'https://app.example/hooks/mail', events: ['delivered', 'failed', 'bounced', 'complained', 'unsubscribed', 'suppressed', 'deferred'],
    secret: SECRET, secretFile: null, timeoutMs: 10_000, maxInFlight: 4, disableAfterMs: 86_400_000,
  }]);
  assert.deepEqual(validateConfig(withWebhooks(undefined), '/tmp').config!.accounts[0]!.webhooks, []);
});

test('refuses a bad webhook with errors naming the field', () => {
  const base = { id: 'app', url: 'https://app.example/h', events: ['delivered'], secret: SECRET };
  assert.match(errors([{ ...base, url: 'ftp://x' }]).join('\n'), /\$\.accounts\[0\]\.webhooks\[0\]\.url: must be an http/);
  assert.match(errors([{ ...base, events: ['delivered', 'teleported'] }]).join('\n'), /webhooks\[0\]\.events\[1\]: must be one of .*"teleported"/);
  assert.match(errors([{ ...base, events: [] }]).join('\n'), /webhooks\[0\]\.events: must list at least one/);
  assert.match(errors([{ ...base, secret: 'hunter2' }]).join('\n'), /webhooks\[0\]\.secret: must start with "whsec_"/);
  assert.match(errors([{ ...base, secret: 'whsec_' + Buffer.alloc(8).toString('base64') }]).join('\n'), /webhooks\[0\]\.secret: must hold 24 to 64 random bytes, got 8/);
  assert.match(errors([{ ...base, secret: undefined }]).join('\n'), /webhooks\[0\]\.secret: is required \(or secretFile\)/);
  assert.match(errors([{ ...base, secretFile: 'x' }]).join('\n'), /webhooks\[0\]\.secretFile: must not be set together with secret/);
  assert.match(errors([{ ...base, secret: undefined, secretFile: 'missing-secret' }], '/nonexistent').join('\n'), /webhooks\[0\]\.secretFile: cannot read \/nonexistent\/missing-secret: ENOENT/);
  assert.match(errors([base, base]).join('\n'), /webhooks\[1\]\.id: duplicate webhook id "app"/);
  assert.match(errors([{ ...base, colour: 'red' }]).join('\n'), /webhooks\[0\]\.colour: unknown field/);
  assert.match(errors([{ ...base, maxInFlight: 0 }]).join('\n'), /webhooks\[0\]\.maxInFlight: must be between 1 and 64/);
  assert.match(errors({}).join('\n'), /\.webhooks: must be an array of endpoints/);
});

test('reads the secret from secretFile, relative to the configuration; http:// URLs are accepted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-webhook-config-'));
  await writeFile(join(dir, 'hook.secret'), SECRET + '\n');
  const { config, errors: errs } = validateConfig(withWebhooks([{ id: 'app', url: 'http://127.0.0.1:9000/h', events: ['delivered'], secretFile: 'hook.secret' }]), dir);
  assert.deepEqual(errs, []);
  assert.equal(config!.accounts[0]!.webhooks[0]!.secret, SECRET);
  assert.equal(config!.accounts[0]!.webhooks[0]!.secretFile, join(dir, 'hook.secret'));
});

test('txrelay keygen --webhook prints a whsec_ secret of 32 random bytes', () => {
  const r = spawnSync(process.execPath, [resolve('dist/src/cli.js'), 'keygen', '--webhook'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const secret = r.stdout.trim();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  const key = webhookSecretKey(secret);
  assert.ok(Buffer.isBuffer(key) && key.length === 32);
  assert.equal(spawnSync(process.execPath, [resolve('dist/src/cli.js'), 'keygen', '--nope'], { encoding: 'utf8' }).status, 2);
});
