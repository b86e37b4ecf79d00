// The httpApi configuration (defaults, errors naming the field, port clashes) and the running API following a
// reload: keys, accounts and routes change with the configuration, as they do for SMTP.
import { test } from 'node:test';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { validateConfig } from '../../src/relay/config/index.js';
import { KEY_A, buildConfig, removeDir, waitForSubject } from '../relay/relay-harness.js';
import { message, post, startApiRelay } from './http-api-harness.js';

function minimal(): Record<string, unknown> {
  return { accounts: [{ id: 'a', apiKeys: [hashApiKey('txr_key_a')], routes: { out: { type: 'file', path: 'outbox' } } }] };
}

function paths(json: unknown): string[] {
  return validateConfig(json, '/tmp').errors.map((e) => `${e.path}: ${e.message}`);
}

test('httpApi: absent is null; present gets host 0.0.0.0, tls false and trustProxy [] by default', () => {
  assert.equal(validateConfig(minimal(), '/tmp').config!.httpApi, null);
  const { config, errors } = validateConfig({ ...minimal(), httpApi: { port: 8080 } }, '/tmp');
  assert.deepEqual(errors, []);
  assert.deepEqual(config!.httpApi, { port: 8080, host: '0.0.0.0', tls: false, trustProxy: [] });
  const full = validateConfig({ ...minimal(), httpApi: { port: 8443, host: '127.0.0.1', tls: true, trustProxy: ['10.0.0.0/8', '::1'] } }, '/tmp');
  assert.deepEqual(full.config!.httpApi, { port: 8443, host: '127.0.0.1', tls: true, trustProxy: ['10.0.0.0/8', '::1'] });
});

test('httpApi: each wrong field is named with the reason', () => {
  assert.deepEqual(paths({ ...minimal(), httpApi: { port: 70000, host: 'api.example', tls: 'yes', trustProxy: ['10.0.0.0/33'], other: 1 } }).sort(), [
    '$.httpApi.host: must be an IP address or "localhost", got "api.example"',
    '$.httpApi.other: unknown field (allowed: port, host, tls, trustProxy)',
    '$.httpApi.port: must be between 0 and 65535, got 70000',
    '$.httpApi.tls: must be true or false, got a string',
    '$.httpApi.trustProxy[0]: has an invalid prefix length in "10.0.0.0/33"',
  ].sort());
  assert.deepEqual(paths({ ...minimal(), httpApi: {} }), ['$.httpApi.port: is required']);
  assert.deepEqual(paths({ ...minimal(), httpApi: 8080 }), ['$.httpApi: must be an object, got a number']);
});

test('httpApi: a port another listener uses is refused, naming which', () => {
  assert.deepEqual(paths({ ...minimal(), listeners: [{ port: 2525 }], httpApi: { port: 2525 } }), ['$.httpApi.port: port 2525 is already used by $.listeners[0]']);
  assert.deepEqual(paths({ ...minimal(), admin: { port: 9000, token: 'a-long-enough-admin-token' }, httpApi: { port: 9000, host: '127.0.0.1' } }), ['$.httpApi.port: port 9000 is already used by $.admin']);
  assert.deepEqual(paths({ ...minimal(), publicHttp: { port: 8080 }, httpApi: { port: 8080 } }), ['$.httpApi.port: port 8080 is already used by $.publicHttp']);
  // The same port on two specific addresses binds; port 0 never clashes.
  assert.deepEqual(paths({ ...minimal(), listeners: [{ port: 2525, host: '127.0.0.1' }], httpApi: { port: 2525, host: '127.0.0.2' } }), []);
  assert.deepEqual(paths({ ...minimal(), listeners: [{ port: 0 }], httpApi: { port: 0 } }), []);
});

test('a reload changes keys and routes for the HTTP API as for SMTP; stop closes the port', async () => {
  const NEW_KEY = 'txr_key_added_by_a_reload_00000000000000000000';
  const t = await startApiRelay();
  try {
    const send = `${t.url}/v1/send`;
    assert.equal((await post(send, message(), { key: NEW_KEY })).status, 401);
    await t.relay.reload(
      buildConfig(t.dir, (json) => {
        const a = json.accounts[0]!;
        a['apiKeys'] = [hashApiKey(NEW_KEY)];
        a['routes'] = { reloaded: { type: 'file', path: `${t.dir}/out-reloaded` } };
        json['httpApi'] = { port: 0, host: '127.0.0.1' };
      }),
    );
    const r = await post(send, message({ subject: 'after reload' }), { key: NEW_KEY });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal((await waitForSubject(t.outbox('out-reloaded'), 'after reload')).length, 1);
    const old = await post(send, message(), { key: KEY_A });
    assert.equal(old.status, 401, 'the key the reload removed no longer works');
  } finally {
    await t.stop();
    await removeDir(t.dir);
  }
  await assert.rejects(fetch(`${t.url}/v1/send`, { method: 'POST', signal: AbortSignal.timeout(5000) }), 'the listener is closed');
});

test('stop lets a request in progress finish within the grace time, answering with Connection: close', async () => {
  const t = await startApiRelay();
  let stopped: Promise<void> | null = null;
  try {
    const body = JSON.stringify(message({ subject: 'during shutdown' }));
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((res, rej) => socket.once('connect', res).once('error', rej));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('utf8')));
    const ended = new Promise<void>((res) => socket.once('close', () => res()));
    socket.write(`POST /v1/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 20)}`);
    await new Promise((r) => setTimeout(r, 100));
    stopped = t.stop();
    await new Promise((r) => setTimeout(r, 100));
    socket.write(body.slice(20));
    await Promise.race([ended, new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer: ${reply}`)), 10_000))]);
    assert.match(reply, /^HTTP\/1\.1 202 /);
    assert.match(reply, /\r\nconnection: close\r\n/i);
    await stopped;
    // Spooled before the answer: delivered before the scheduler stopped, or after the restart.
    const after = await startApiRelay(undefined, t.dir);
    try {
      assert.equal((await waitForSubject(after.outbox('out-main'), 'during shutdown')).length, 1);
    } finally {
      await after.stop();
    }
  } finally {
    if (stopped === null) await t.stop();
    await removeDir(t.dir);
  }
});

test('a key and a template added to the runtime store work over HTTP at once, and a revoked key stops', async () => {
  const STORED_KEY = 'txr_key_made_through_the_store_000000000000000';
  const t = await startApiRelay();
  try {
    const send = `${t.url}/v1/send`;
    await t.relay.store.apiKeys.add({ id: 'key_http1', account: 'a', hash: hashApiKey(STORED_KEY), label: 'http test', createdAt: Date.now(), expiresAt: null, lastUsedAt: null });
    await t.relay.store.templates.put({ account: 'a', name: 'stored', html: '<p>Stored {{ who }}</p>', subject: 'stored template {{ who }}', from: null, replyTo: null, tag: null, updatedAt: Date.now(), revision: 'r1' });
    const r = await post(send, message({ template: 'stored', variables: { who: 'Ann' } }), { key: STORED_KEY });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const [m] = await waitForSubject(t.outbox('out-main'), 'stored template Ann');
    assert.equal(String(m!.html).trim(), '<p>Stored Ann</p>');
    assert.equal(await t.relay.store.apiKeys.revoke('a', 'key_http1'), true);
    assert.equal((await post(send, message(), { key: STORED_KEY })).status, 401);
  } finally {
    await t.stop();
    await removeDir(t.dir);
  }
});
