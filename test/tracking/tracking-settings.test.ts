// Template- and tag-level tracking (issue 18): the configuration (errors naming the field), the precedence template >
// tag > account, then X-Transactional-Track narrowing, checked on the real accept path (parse, policy, compose).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, type RelayConfig } from '../../src/relay/config/index.js';
import { MessageParser } from '../../src/mime/index.js';
import { MessageAcceptor } from '../../src/relay/accept/message-acceptor.js';
import { ApiKeyIndex, hashApiKey } from '../../src/relay/accept/api-key.js';
import { TagRegistry } from '../../src/relay/store/tag-registry.js';
import { TrackingTokens, resolveTracking } from '../../src/relay/tracking/index.js';

const KEY = 'txr_tracking_settings_key_0000000000000000000';
const HTML = '<html><body><a href="https://shop.example/a">a</a></body></html>';

function json(account: Record<string, unknown>): Record<string, unknown> {
  return {
    publicHttp: { port: 0 },
    accounts: [{ id: 'shop', apiKeys: [hashApiKey(KEY)], routes: { out: { type: 'file', path: 'outbox' } }, ...account }],
  };
}

function errorsOf(j: unknown): string[] {
  return validateConfig(j, '/tmp').errors.map((e) => `${e.path}: ${e.message}`);
}

function configOf(account: Record<string, unknown>): RelayConfig {
  const { config, errors } = validateConfig(json(account), '/tmp');
  assert.deepEqual(errors, []);
  return config!;
}

/** Sends one message through the real accept path; returns which of pixel and click links its body carries. */
function tracked(config: RelayConfig, headers: Record<string, string>): { opens: boolean; clicks: boolean } {
  const acceptor = new MessageAcceptor(config, new TagRegistry(null), 1, null, new TrackingTokens(Buffer.alloc(32, 7)));
  const keys = new ApiKeyIndex(config.accounts);
  const head = Object.entries({ 'X-Auth-APIKey': KEY, From: 'shop@example.com', To: 'ann@example.net', Subject: 's', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const parser = new MessageParser();
  parser.write(Buffer.from(`${head}Content-Type: text/html; charset=utf-8\r\n\r\n${HTML}\r\n`));
  const m = acceptor.accept({ parsed: parser.end(), sessionAccount: null, recipients: ['ann@example.net'], lookupKey: (k) => keys.lookup(k) }, 'msg1');
  const body = m.recipients[0]!.body.toString('latin1');
  return { opens: /t\.example\/o\//.test(body), clicks: /t\.example\/c\//.test(body) };
}

describe('tracking settings: configuration', () => {
  test('a template and a tag may set opens, clicks and baseUrl; each is optional', () => {
    const config = configOf({
      tracking: { opens: true, baseUrl: 'https://t.example', tags: { 'password-reset': { opens: false, clicks: false }, news: { clicks: true } } },
      templates: { welcome: { html: HTML, tracking: { clicks: true, baseUrl: 'https://t2.example/' } } },
    });
    const a = config.accounts[0]!;
    assert.deepEqual({ ...a.tracking!.tags['password-reset'] }, { opens: false, clicks: false, baseUrl: null });
    assert.deepEqual({ ...a.tracking!.tags['news'] }, { opens: null, clicks: true, baseUrl: null });
    assert.deepEqual(a.templates['welcome']!.tracking, { opens: null, clicks: true, baseUrl: 'https://t2.example' });
  });

  test('errors name the field and the reason', () => {
    const errors = errorsOf(
      json({
        tracking: { baseUrl: 'https://t.example', tags: { 'Password-Reset': { opens: false }, ok: { opens: 'no', other: 1, baseUrl: 'ftp://x' } } },
        templates: { welcome: { html: HTML, tracking: { clicks: 1 } } },
      }),
    );
    assert.deepEqual(errors.sort(), [
      '$.accounts[0].templates.welcome.tracking.clicks: must be true or false, got a number',
      '$.accounts[0].tracking.tags["Password-Reset"]: a tag must match [a-z0-9._-]{1,64} (tags are lower-case, as messages carry them)',
      '$.accounts[0].tracking.tags.ok.baseUrl: must be an https or http URL, got "ftp://x"',
      '$.accounts[0].tracking.tags.ok.opens: must be true or false, got a string',
      '$.accounts[0].tracking.tags.ok.other: unknown field (allowed: opens, clicks, baseUrl)',
    ].sort());
    assert.deepEqual(errorsOf(json({ tracking: { baseUrl: 'https://t.example', tags: [] } })), ['$.accounts[0].tracking.tags: must be an object of tag -> { opens?, clicks?, baseUrl? }, got an array']);
  });

  test('a template turning tracking on needs a base URL from itself or the account, and the public listener', () => {
    assert.deepEqual(errorsOf(json({ templates: { welcome: { html: HTML, tracking: { opens: true } } } })), [
      '$.accounts[0].templates.welcome.tracking: needs a baseUrl: the account has no tracking.baseUrl to fall back on',
    ]);
    const alone = json({ templates: { welcome: { html: HTML, tracking: { opens: true, baseUrl: 'https://t.example' } } } });
    assert.deepEqual(errorsOf(alone), []);
    delete alone['publicHttp'];
    assert.deepEqual(errorsOf(alone), ['$.accounts[0].templates.welcome.tracking: needs $.publicHttp, the listener that answers the tracking links']);
    const byTag = json({ tracking: { baseUrl: 'https://t.example', tags: { news: { clicks: true } } } });
    delete byTag['publicHttp'];
    assert.deepEqual(errorsOf(byTag), ['$.accounts[0].tracking: needs $.publicHttp, the listener that answers the tracking links']);
  });

  test('publicHttp.tracking: record days and machine ranges, with errors naming the field', () => {
    const j = json({});
    assert.deepEqual(validateConfig(j, '/tmp').config!.publicHttp!.tracking, { recordDays: 180, machineRanges: [], builtInMachineRanges: true, machineWindowSeconds: 10 });
    j['publicHttp'] = { port: 0, tracking: { recordDays: 30, machineRanges: ['203.0.113.0/24', '2001:db8::/32'], builtInMachineRanges: false, machineWindowSeconds: 0 } };
    assert.deepEqual(validateConfig(j, '/tmp').config!.publicHttp!.tracking, { recordDays: 30, machineRanges: ['203.0.113.0/24', '2001:db8::/32'], builtInMachineRanges: false, machineWindowSeconds: 0 });
    j['publicHttp'] = { port: 0, tracking: { recordDays: 0, machineRanges: ['203.0.113.0/40', 'scanner'], other: true, machineWindowSeconds: -1 } };
    assert.deepEqual(errorsOf(j).sort(), [
      '$.publicHttp.tracking.machineRanges[0]: has an invalid prefix length in "203.0.113.0/40"',
      '$.publicHttp.tracking.machineRanges[1]: must be an IP address or CIDR range, got "scanner"',
      '$.publicHttp.tracking.machineWindowSeconds: must be between 0 and 3600, got -1',
      '$.publicHttp.tracking.other: unknown field (allowed: recordDays, machineRanges, builtInMachineRanges, machineWindowSeconds)',
      '$.publicHttp.tracking.recordDays: must be between 1 and 36500, got 0',
    ]);
  });
});

describe('tracking settings: precedence template > tag > account, then X-Transactional-Track narrows', () => {
  const account = { opens: true, clicks: true, baseUrl: 'https://t.example', tags: Object.assign(Object.create(null), { 'password-reset': { opens: false, clicks: false, baseUrl: null }, news: { opens: null, clicks: false, baseUrl: 'https://n.example' } }) };

  test('resolveTracking, field by field', () => {
    assert.deepEqual(resolveTracking(account, 'orders', null), { opens: true, clicks: true, baseUrl: 'https://t.example' });
    assert.equal(resolveTracking(account, 'password-reset', null), null, 'the tag turns both off');
    assert.deepEqual(resolveTracking(account, 'news', null), { opens: true, clicks: false, baseUrl: 'https://n.example' }, 'the tag sets clicks and baseUrl, opens is the account\'s');
    assert.deepEqual(resolveTracking(account, 'password-reset', { opens: null, clicks: true, baseUrl: null }), { opens: false, clicks: true, baseUrl: 'https://t.example' }, 'the template wins over the tag');
    assert.deepEqual(resolveTracking(null, 'x', { opens: true, clicks: null, baseUrl: 'https://tpl.example' }), { opens: true, clicks: false, baseUrl: 'https://tpl.example' }, 'a template alone');
    assert.equal(resolveTracking(null, 'x', null), null);
    assert.deepEqual(resolveTracking(account, 'orders', null, 'opens'), { opens: true, clicks: false, baseUrl: 'https://t.example' });
    assert.equal(resolveTracking(account, 'password-reset', { opens: true, clicks: null, baseUrl: null }, 'clicks'), null, 'the header narrows, never widens');
  });

  test('on the accept path: tags and templates decide, the header narrows', () => {
    const config = configOf({
      tracking: { opens: true, clicks: true, baseUrl: 'https://t.example', tags: { 'password-reset': { opens: false, clicks: false } } },
      templates: {
        reset: { html: HTML, tag: 'password-reset' },
        'reset-clicks': { html: HTML, tag: 'password-reset', tracking: { clicks: true } },
      },
    });
    assert.deepEqual(tracked(config, { 'X-Transactional-Tag': 'orders' }), { opens: true, clicks: true });
    assert.deepEqual(tracked(config, { 'X-Transactional-Tag': 'Password-Reset' }), { opens: false, clicks: false }, 'the header tag is normalized before the lookup');
    assert.deepEqual(tracked(config, { 'X-Transactional-Template': 'reset' }), { opens: false, clicks: false }, "the template's tag");
    assert.deepEqual(tracked(config, { 'X-Transactional-Template': 'reset-clicks' }), { opens: false, clicks: true }, 'the template wins over its tag');
    assert.deepEqual(tracked(config, { 'X-Transactional-Template': 'reset-clicks', 'X-Transactional-Track': 'opens' }), { opens: false, clicks: false });
    assert.deepEqual(tracked(config, { 'X-Transactional-Tag': 'orders', 'X-Transactional-Track': 'clicks' }), { opens: false, clicks: true });
  });
});
