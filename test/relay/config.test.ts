import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ConfigError, DEFAULT_LIMITS, DEFAULT_QUEUE, loadConfig, validateConfig } from '../../src/relay/config/index.js';
import { embeddedDefaultConfig } from '../../src/relay/config-default.js';
import { ApiKeyIndex, hashApiKey } from '../../src/relay/accept/api-key.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'txrelay-config-'));
const HASH_A = hashApiKey('txr_key_a');
const HASH_B = hashApiKey('txr_key_b');

function minimal(): Record<string, unknown> {
  return { accounts: [{ id: 'a', apiKeys: [HASH_A], routes: { out: { type: 'file', path: 'outbox' } } }] };
}

function paths(json: unknown, baseDir = '/tmp'): string[] {
  return validateConfig(json, baseDir).errors.map((e) => e.path);
}

test('the example configuration examples/relay.json validates', async () => {
  const file = fileURLToPath(new URL('../../../examples/relay.json', import.meta.url));
  const config = await loadConfig(file);
  assert.equal(config.accounts.length, 2);
  assert.equal(config.accounts[0]!.defaultRoute, 'smarthost');
  assert.equal(config.accounts[0]!.templates['receipt']!.tag, 'receipt');
  assert.equal(config.listeners[1]!.proxyProtocol?.trusted.length, 2);
});

test('applies every default to a minimal configuration', () => {
  const { config, errors } = validateConfig(minimal(), '/etc/txrelay');
  assert.deepEqual(errors, []);
  assert.ok(config);
  assert.deepEqual(config.listeners.map((l) => [l.port, l.host, l.authBeforeTls, l.proxyProtocol]), [
    [587, '0.0.0.0', false, null],
    [2525, '0.0.0.0', false, null],
    [8025, '0.0.0.0', false, null],
  ]);
  assert.deepEqual(config.limits, DEFAULT_LIMITS);
  assert.equal(config.limits.maxMessageSize, 30 * 1024 * 1024);
  assert.deepEqual(config.queue, DEFAULT_QUEUE);
  assert.equal(config.queue.maxAgeMs, 48 * 3600_000);
  assert.deepEqual(config.tls, { cert: null, key: null });
  assert.equal(config.dataDir, '/etc/txrelay/data');
  assert.equal(config.logLevel, 'info');
  assert.equal(config.textOnly, 'reject');
  assert.equal(config.admin, null);
  const account = config.accounts[0]!;
  assert.equal(account.name, 'a');
  assert.deepEqual(account.routes['out'], { type: 'file', path: '/etc/txrelay/outbox', dkim: true, returnPath: null });
  assert.equal(Object.getPrototypeOf(account.routes), null, 'a header naming "toString" or "__proto__" finds no inherited route');
  assert.equal(account.routes['toString'], undefined);
  assert.deepEqual([account.defaultRoute, account.senderDomains, account.rate], [null, null, { perSecond: null, perDay: null }]);
});

test('limits accept 0 only where 0 turns a check off', () => {
  const limits = { greetingDelayMs: 0, authFailureDelayMs: 0, minDataRateBytesPerSec: 0, dataRateGraceMs: 0, maxConnections: 0 };
  assert.deepEqual(paths({ ...minimal(), limits }), ['$.limits.maxConnections']);
  const { config } = validateConfig({ ...minimal(), limits: { greetingDelayMs: 0, maxRecipients: 5 } }, '/x');
  assert.deepEqual([config?.limits.greetingDelayMs, config?.limits.maxRecipients, config?.limits.maxLineLength], [0, 5, 2048]);
});

test('fills the defaults of an smtp route', () => {
  const json = minimal();
  (json['accounts'] as { routes: unknown }[])[0]!.routes = { up: { type: 'smtp', host: 'smtp.example.com', port: 587 } };
  const route = validateConfig(json, '/x').config?.accounts[0]!.routes['up'];
  assert.deepEqual(route, {
    type: 'smtp', dkim: true, host: 'smtp.example.com', port: 587, tls: 'required', verifyCertificate: true, caFile: null,
    username: null, password: null, poolSize: 4, maxMessagesPerConnection: 100, envelopeFrom: null, returnPath: null,
  });
});

test('fills the defaults of an mx route', () => {
  const json = minimal();
  (json['accounts'] as { routes: unknown }[])[0]!.routes = { direct: { type: 'mx' } };
  const route = validateConfig(json, '/x').config?.accounts[0]!.routes['direct'];
  assert.deepEqual(route, {
    type: 'mx', dkim: true, port: 25, helo: null, localAddresses: [], ipFamily: 'any', tls: 'opportunistic', caFile: null, mtaSts: true,
    dnsServers: null, maxConnectionsPerDestination: 10, maxMessagesPerConnection: 100, connectTimeoutMs: 30_000, returnPath: null,
  });
  (json['accounts'] as { routes: unknown }[])[0]!.routes = {
    direct: { type: 'mx', port: 2525, helo: 'relay.example.com', ipFamily: 'ipv4', tls: 'verify', mtaSts: false, dnsServers: ['127.0.0.1:5353', '::1', '[::1]:53'], maxConnectionsPerDestination: 3 },
  };
  const set = validateConfig(json, '/x').config?.accounts[0]!.routes['direct'];
  assert.deepEqual(set, {
    type: 'mx', dkim: true, port: 2525, helo: 'relay.example.com', localAddresses: [], ipFamily: 'ipv4', tls: 'verify', caFile: null, mtaSts: false,
    dnsServers: ['127.0.0.1:5353', '::1', '[::1]:53'], maxConnectionsPerDestination: 3, maxMessagesPerConnection: 100, connectTimeoutMs: 30_000, returnPath: null,
  });
});

test('checks every field of an mx route, naming it', () => {
  const route = (r: Record<string, unknown>): ReturnType<typeof validateConfig>['errors'] =>
    validateConfig({ accounts: [{ id: 'a', apiKeys: [HASH_A], routes: { direct: { type: 'mx', ...r } } }] }, '/tmp').errors;
  const at = (field: string): string => `$.accounts[0].routes.direct.${field}`;
  const bad = route({
    port: 0, helo: 'not a name', ipFamily: 'ipv5', tls: 'required', mtaSts: 'yes', dnsServers: ['dns.example', '127.0.0.1:70000'],
    maxConnectionsPerDestination: 0, maxMessagesPerConnection: 1.5, connectTimeoutMs: -1, host: 'mx.example', caFile: '/nonexistent/ca.pem',
  });
  assert.deepEqual(bad.map((e) => e.path).sort(), [
    at('caFile'), at('connectTimeoutMs'), `${at('dnsServers')}[0]`, `${at('dnsServers')}[1]`, at('helo'), at('host'), at('ipFamily'),
    at('maxConnectionsPerDestination'), at('maxMessagesPerConnection'), at('mtaSts'), at('port'), at('tls'),
  ].sort());
  assert.match(bad.find((e) => e.path === at('tls'))!.message, /"opportunistic", "verify", "none"/);
  assert.match(bad.find((e) => e.path === `${at('dnsServers')}[0]`)!.message, /must be an IP address, optionally with a port/);
  assert.deepEqual(route({ localAddresses: ['192.0.2.1', 'eth0'] }).map((e) => [e.path, e.message]), [
    [`${at('localAddresses')}[1]`, 'must be an IP address, got "eth0"'],
  ]);
  assert.deepEqual(route({ localAddresses: ['192.0.2.1', '2001:db8::1'] }), []);
  assert.deepEqual(route({ localAddresses: ['192.0.2.1'], ipFamily: 'ipv6' }).map((e) => [e.path, e.message]), [
    [at('localAddresses'), 'has no IPv6 address, and ipFamily is "ipv6"'],
  ]);
  assert.deepEqual(route({ dnsServers: [] }).map((e) => e.path), [at('dnsServers')]);
});

test('reports every problem at once, each with its JSON path', () => {
  const json = {
    listeners: [{ port: 70000 }, { port: 25, hots: '::' }],
    logLevel: 'loud',
    limits: { maxRecipients: 0, template: { maxRenderMs: 'fast' } },
    accounts: [
      {
        id: 'bad id',
        apiKeys: ['txr_plaintext'],
        routes: { main: { type: 'smtp', port: 99999, tls: 'maybe' } },
        defaultRoute: 'other',
        templates: { t: { html: '<p>x</p>', tag: 'Not A Tag' } },
        rate: { perSecond: -1 },
      },
    ],
    surprise: true,
  };
  const errors = validateConfig(json, '/tmp').errors;
  assert.deepEqual(errors.map((e) => e.path).sort(), [
    '$.accounts[0].apiKeys[0]',
    '$.accounts[0].defaultRoute',
    '$.accounts[0].id',
    '$.accounts[0].rate.perSecond',
    '$.accounts[0].routes.main.host',
    '$.accounts[0].routes.main.port',
    '$.accounts[0].routes.main.tls',
    '$.accounts[0].templates.t.tag',
    '$.limits.maxRecipients',
    '$.limits.template.maxRenderMs',
    '$.listeners[0].port',
    '$.listeners[1].hots',
    '$.logLevel',
    '$.surprise',
  ]);
  assert.match(errors.find((e) => e.path === '$.accounts[0].apiKeys[0]')!.message, /not its hash/);
});

test('unknown fields are errors at every level, so typos never pass silently', () => {
  const json = minimal();
  const account = (json['accounts'] as Record<string, unknown>[])[0]!;
  account['rate'] = { perSecnd: 5 };
  account['routes'] = { out: { type: 'file', path: '/tmp/o', user: 'x' } };
  json['admin'] = { port: 9000, token: 'a-long-enough-admin-token', tokn: 'x' };
  assert.deepEqual(paths(json).sort(), ['$.accounts[0].rate.perSecnd', '$.accounts[0].routes.out.user', '$.admin.tokn']);
});

test('refuses duplicate ports, account ids and API key hashes shared across accounts', () => {
  const json = {
    listeners: [{ port: 2525 }, { port: 2525 }, { port: 0 }, { port: 0 }],
    admin: { port: 2525, token: 'a-long-enough-admin-token' },
    accounts: [
      { id: 'a', apiKeys: [HASH_A], routes: { out: { type: 'file', path: '/tmp/o' } } },
      { id: 'a', apiKeys: [HASH_B], routes: { out: { type: 'file', path: '/tmp/o' } } },
      { id: 'c', apiKeys: [HASH_A], routes: { out: { type: 'file', path: '/tmp/o' } } },
    ],
  };
  const errors = validateConfig(json, '/tmp').errors;
  assert.deepEqual(errors.map((e) => e.path).sort(), ['$.accounts[1].id', '$.accounts[2].apiKeys[0]', '$.admin.port', '$.listeners[1].port']);
  assert.match(errors.find((e) => e.path === '$.accounts[2].apiKeys[0]')!.message, /also \$\.accounts\[0\]\.apiKeys\[0\]/);
});

test('the same port may serve two specific addresses, but not beside a wildcard on that port', () => {
  const withListeners = (listeners: unknown[]): string[] => paths({ ...minimal(), listeners });
  assert.deepEqual(withListeners([{ port: 25, host: '127.0.0.1' }, { port: 25, host: '192.0.2.1' }]), []);
  assert.deepEqual(withListeners([{ port: 25, host: '127.0.0.1' }, { port: 25 }]), ['$.listeners[1].port']);
  assert.deepEqual(withListeners(['junk', { port: 25, host: '::' }, { port: 25, host: '::1' }]), ['$.listeners[0]', '$.listeners[2].port']);
  assert.match(validateConfig({ ...minimal(), listeners: ['junk', { port: 25 }, { port: 25 }] }, '/').errors[1]!.message, /also used by \$\.listeners\[1\]/);
});

test('requires accounts with API keys and routes, and an smtp route host', () => {
  assert.deepEqual(paths({}), ['$.accounts']);
  assert.deepEqual(paths({ accounts: [] }), ['$.accounts']);
  assert.deepEqual(paths({ accounts: [{ id: 'x' }] }).sort(), ['$.accounts[0].apiKeys', '$.accounts[0].routes']);
  assert.deepEqual(paths({ accounts: [{ id: 'x', apiKeys: [], routes: {} }] }), ['$.accounts[0].routes']);
  assert.deepEqual(paths({ accounts: [{ id: 'x', apiKeys: [], routes: { r: { type: 'ftp' } } }] }), ['$.accounts[0].routes.r.type']);
});

test('checks host names, the envelope sender and credentials of an smtp route', () => {
  const route = (r: Record<string, unknown>): unknown => ({ hostname: 'not a host!', accounts: [{ id: 'a', apiKeys: [], routes: { up: { type: 'smtp', ...r } } }] });
  assert.deepEqual(paths(route({ host: 'smtp..example', envelopeFrom: 'Bounces <b@x.example>' })).sort(), ['$.accounts[0].routes.up.envelopeFrom', '$.accounts[0].routes.up.host', '$.hostname']);
  assert.deepEqual(paths(route({ host: '192.0.2.1', username: 'u' })).sort(), ['$.accounts[0].routes.up.password', '$.hostname']);
  assert.deepEqual(paths(route({ host: 'smtp.example', username: 'u', password: 'p', tls: 'none' })).sort(), ['$.accounts[0].routes.up.tls', '$.hostname']);
  const missingType = validateConfig({ accounts: [{ id: 'a', apiKeys: [], routes: { up: { host: 'x' } } }] }, '/tmp').errors;
  assert.deepEqual(missingType, [{ path: '$.accounts[0].routes.up.type', message: 'is required ("file", "smtp" or "mx")' }]);
});

test('loads a template htmlFile relative to the config file and reports one it cannot read', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'templates'));
  await writeFile(join(dir, 'templates', 'welcome.html'), '<h1>Hello {{ name }}</h1>');
  const json = minimal();
  (json['accounts'] as Record<string, unknown>[])[0]!['templates'] = {
    welcome: { htmlFile: 'templates/welcome.html', subject: 'Hi' },
    missing: { htmlFile: 'templates/missing.html' },
    both: { html: '<p/>', htmlFile: 'templates/welcome.html' },
  };
  await writeFile(join(dir, 'relay.json'), JSON.stringify(json));
  const err = await loadConfig(join(dir, 'relay.json')).catch((e: unknown) => e);
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.issues.map((i) => i.path).sort(), ['$.accounts[0].templates.both.htmlFile', '$.accounts[0].templates.missing.htmlFile']);
  assert.match(err.message, /templates\.missing\.htmlFile: cannot read .*missing\.html: ENOENT/);
  const ok = minimal();
  (ok['accounts'] as Record<string, unknown>[])[0]!['templates'] = { welcome: { htmlFile: 'templates/welcome.html' } };
  await writeFile(join(dir, 'relay.json'), JSON.stringify(ok));
  const config = await loadConfig(join(dir, 'relay.json'));
  assert.equal(config.accounts[0]!.templates['welcome']!.html, '<h1>Hello {{ name }}</h1>');
  assert.equal(config.accounts[0]!.templates['welcome']!.htmlFile, join(dir, 'templates', 'welcome.html'));
});

test('checks tls cert and key together and that both files are readable', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'cert.pem'), 'x');
  assert.deepEqual(paths({ ...minimal(), tls: { cert: 'cert.pem' } }, dir), ['$.tls.key']);
  assert.deepEqual(paths({ ...minimal(), tls: { cert: 'cert.pem', key: 'nokey.pem' } }, dir), ['$.tls.key']);
  assert.deepEqual(validateConfig({ ...minimal(), tls: { cert: 'cert.pem', key: 'cert.pem' } }, dir).config?.tls, { cert: join(dir, 'cert.pem'), key: join(dir, 'cert.pem') });
});

test('a file route whose path is an existing file is refused', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'afile'), 'x');
  const json = { accounts: [{ id: 'a', apiKeys: [HASH_A], routes: { out: { type: 'file', path: 'afile' } } }] };
  assert.deepEqual(paths(json, dir), ['$.accounts[0].routes.out.path']);
});

test('loadConfig names an unreadable file and invalid JSON in a ConfigError', async () => {
  const dir = await tempDir();
  await assert.rejects(loadConfig(join(dir, 'absent.json')), (e: unknown) => e instanceof ConfigError && /ENOENT/.test(e.message));
  await writeFile(join(dir, 'broken.json'), '{ "accounts": [ }');
  await assert.rejects(loadConfig(join(dir, 'broken.json')), (e: unknown) => e instanceof ConfigError && /not valid JSON/.test(e.message));
});

test('ConfigError lists every issue as a "<path>: <reason>" line', () => {
  const err = new ConfigError('relay.json', [
    { path: '$.a', message: 'is required' },
    { path: '$.b[0]', message: 'must be a string, got a number' },
  ]);
  assert.equal(err.message, 'invalid configuration relay.json:\n  $.a: is required\n  $.b[0]: must be a string, got a number');
});

test('the embedded default has three ports, a demo account with a file route, and a demo key kept at 0600', async () => {
  const dir = await tempDir();
  const first = await embeddedDefaultConfig(dir);
  assert.equal(first.demoKeyCreated, true);
  assert.deepEqual(first.config.listeners.map((l) => [l.port, l.host, l.authBeforeTls]), [[587, '0.0.0.0', false], [2525, '0.0.0.0', false], [8025, '0.0.0.0', false]]);
  assert.equal(first.config.dataDir, dir);
  assert.deepEqual(first.config.tls, { cert: null, key: null });
  const demo = first.config.accounts[0]!;
  assert.equal(demo.id, 'demo');
  assert.deepEqual({ ...demo.routes }, { outbox: { type: 'file', path: join(dir, 'outbox'), dkim: true, returnPath: null } });
  assert.equal(new ApiKeyIndex(first.config.accounts).lookup(first.demoKey)?.id, 'demo');
  const keyFile = join(dir, 'demo-api-key');
  assert.equal(await readFile(keyFile, 'utf8'), first.demoKey + '\n');
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  const second = await embeddedDefaultConfig(dir);
  assert.equal(second.demoKeyCreated, false);
  assert.equal(second.demoKey, first.demoKey);
});

test('txrelay check-config prints ok for a valid file, and every issue with exit code 1 for a bad one', async () => {
  const url = new URL('../../src/relay/cli/check-config.js', import.meta.url).href;
  const run = (file: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `import { main } from ${JSON.stringify(url)}; process.exitCode = await main([${JSON.stringify(file)}]);`], { encoding: 'utf8', timeout: 30_000 });
  const good = run(fileURLToPath(new URL('../../../examples/relay.json', import.meta.url)));
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /^(warning: .*\n)*ok\n$/);
  assert.match(good.stdout, /warning: account "[^"]+": no DKIM key, its messages leave unsigned/);
  const dir = await tempDir();
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ listeners: [{ port: -1 }], accounts: [{ id: 'a', apiKeys: [], routes: {} }] }));
  const bad = run(join(dir, 'bad.json'));
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^invalid configuration .*bad\.json:\n {2}\$\.listeners\[0\]\.port: must be between 0 and 65535, got -1\n {2}\$\.accounts\[0\]\.routes: must define at least one route\n$/);
});

test('check-config warns about an account without DKIM keys and a sender domain no key covers', async () => {
  const { configWarnings } = await import('../../src/relay/cli/check-config.js');
  const dir = await tempDir();
  const { generateKeyPairSync } = await import('node:crypto');
  await writeFile(join(dir, 'ed.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const { config, errors } = validateConfig({
    accounts: [
      { id: 'signed', apiKeys: [HASH_A], routes: { out: { type: 'file', path: 'o' } }, senderDomains: ['shop.example', 'mail.shop.example', 'other.example'],
        dkim: [{ domain: 'shop.example', selector: 's1', algorithm: 'ed25519-sha256', privateKeyFile: 'ed.pem' }] },
      { id: 'bare', apiKeys: [HASH_B], routes: { out: { type: 'file', path: 'o' } } },
    ],
  }, dir);
  assert.deepEqual(errors, []);
  assert.deepEqual(configWarnings(config!), [
    'account "signed": sender domain other.example has no DKIM key (its messages leave unsigned)',
    'account "bare": no DKIM key, its messages leave unsigned (txrelay dkim-keygen makes one)',
  ]);
});

test('a DKIM key that is too small, unreadable or of the wrong type is refused at load, naming the field', async () => {
  const dir = await tempDir();
  const { generateKeyPairSync } = await import('node:crypto');
  await writeFile(join(dir, 'rsa1024.pem'), generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(dir, 'ed.pem'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const { errors } = validateConfig({
    accounts: [{ id: 'a', apiKeys: [HASH_A], routes: { out: { type: 'file', path: 'o' } }, dkim: [
      { domain: 'shop.example', selector: 's1', algorithm: 'rsa-sha256', privateKeyFile: 'rsa1024.pem' },
      { domain: 'shop.example', selector: 's2', privateKeyFile: 'missing.pem' },
      { domain: 'shop.example', selector: 's3', algorithm: 'rsa-sha256', privateKeyFile: 'ed.pem' },
      { domain: 'not a domain', selector: 's4', privateKeyFile: 'ed.pem' },
    ] }],
  }, dir);
  const byPath = new Map(errors.map((e) => [e.path, e.message]));
  assert.match(byPath.get('$.accounts[0].dkim[0].privateKeyFile') ?? '', /1024 bits, at least 2048/);
  assert.match(byPath.get('$.accounts[0].dkim[1].privateKeyFile') ?? '', /cannot read .*missing\.pem: ENOENT/);
  assert.match(byPath.get('$.accounts[0].dkim[2].privateKeyFile') ?? '', /needs an RSA key, this one is ed25519/);
  assert.match(byPath.get('$.accounts[0].dkim[3].domain') ?? '', /must be a domain name/);
});

test('reads a route\'s returnPath (lower-cased) on every route type, and not beside envelopeFrom', () => {
  const withRoute = (r: Record<string, unknown>): Record<string, unknown> => ({ accounts: [{ id: 'a', apiKeys: [], routes: { r } }] });
  for (const r of [{ type: 'file', path: 'out' }, { type: 'smtp', host: 'smtp.example.com' }, { type: 'mx' }]) {
    const route = validateConfig(withRoute({ ...r, returnPath: { domain: 'Bounces.Shop.Example' } }), '/x').config?.accounts[0]!.routes['r'];
    assert.deepEqual(route?.returnPath, { domain: 'bounces.shop.example' }, r.type);
    assert.equal(validateConfig(withRoute(r), '/x').config?.accounts[0]!.routes['r']!.returnPath, null);
  }
  assert.deepEqual(paths(withRoute({ type: 'mx', returnPath: { domain: 'not a domain' } })), ['$.accounts[0].routes.r.returnPath.domain']);
  assert.deepEqual(paths(withRoute({ type: 'mx', returnPath: { domain: 'b.example', secret: 'x' } })), ['$.accounts[0].routes.r.returnPath.secret']);
  assert.deepEqual(paths(withRoute({ type: 'smtp', host: 'smtp.example.com', envelopeFrom: 'b@x.example', returnPath: { domain: 'b.example' } })), ['$.accounts[0].routes.r.returnPath']);
});

test('reads the inbound listener: port 25 and every address by default, at least one domain, no port shared', () => {
  const { config } = validateConfig({ ...minimal(), inbound: { domains: ['Bounces.Shop.Example'] } }, '/x');
  assert.deepEqual(config?.inbound, { port: 25, host: '0.0.0.0', domains: ['bounces.shop.example'] });
  assert.equal(validateConfig(minimal(), '/x').config?.inbound, null);
  assert.deepEqual(paths({ ...minimal(), inbound: { port: 2626 } }), ['$.inbound.domains']);
  assert.deepEqual(paths({ ...minimal(), inbound: { domains: ['x..y'], host: 'any' } }).sort(), ['$.inbound.domains[0]', '$.inbound.host']);
  assert.deepEqual(paths({ ...minimal(), listeners: [{ port: 2525 }], inbound: { port: 2525, domains: ['b.example'] } }), ['$.inbound.port']);
  assert.deepEqual(paths({ ...minimal(), admin: { port: 9099 }, inbound: { port: 9099, domains: ['b.example'] } }), ['$.inbound.port']);
});

test('unsubscribe (account and template) and publicHttp: defaults, and errors naming the field', () => {
  const json = minimal();
  const account = (json['accounts'] as Record<string, unknown>[])[0]!;
  account['unsubscribe'] = { baseUrl: 'https://relay.example/u/', mailto: 'unsubscribe@relay.example' };
  account['templates'] = { news: { html: '<p>n</p>', tag: 'news', unsubscribe: { baseUrl: 'https://relay.example/u', scope: 'tag' } } };
  json['publicHttp'] = { port: 8080 };
  const { config, errors } = validateConfig(json, '/tmp');
  assert.deepEqual(errors, []);
  assert.deepEqual(config!.publicHttp, { port: 8080, host: '0.0.0.0', trustProxy: [], secret: null, tracking: { recordDays: 180, machineRanges: [], builtInMachineRanges: true, machineWindowSeconds: 10 } });
  assert.deepEqual(config!.accounts[0]!.unsubscribe, { baseUrl: 'https://relay.example/u', mailto: 'unsubscribe@relay.example', scope: 'account' });
  assert.deepEqual(config!.accounts[0]!.templates['news']!.unsubscribe, { baseUrl: 'https://relay.example/u', mailto: null, scope: 'tag' });
  assert.equal(validateConfig(minimal(), '/tmp').config!.accounts[0]!.unsubscribe, null);

  delete json['publicHttp'];
  assert.deepEqual(paths(json), ['$.accounts[0].unsubscribe'], 'links need the listener that answers them');

  json['publicHttp'] = { port: 587, host: 'example.com', trustProxy: ['10.0.0.0/33'], secret: 'short', extra: 1 };
  account['unsubscribe'] = { baseUrl: 'http://relay.example/u', mailto: 'no address', scope: 'list', other: true };
  account['templates'] = { news: { html: '<p>n</p>', unsubscribe: { baseUrl: 'https://relay.example/u?next=https://evil.example' } } };
  assert.deepEqual(paths(json).sort(), [
    '$.accounts[0].templates.news.unsubscribe.baseUrl',
    '$.accounts[0].unsubscribe.baseUrl',
    '$.accounts[0].unsubscribe.mailto',
    '$.accounts[0].unsubscribe.other',
    '$.accounts[0].unsubscribe.scope',
    '$.publicHttp.extra',
    '$.publicHttp.host',
    '$.publicHttp.port',
    '$.publicHttp.secret',
    '$.publicHttp.trustProxy[0]',
  ]);
});

test('tracking: off by default, opens and clicks default false, an http(s) base URL, and publicHttp required', () => {
  const json = minimal();
  const account = (json['accounts'] as Record<string, unknown>[])[0]!;
  assert.equal(validateConfig(json, '/tmp').config!.accounts[0]!.tracking, null);
  account['tracking'] = { clicks: true, baseUrl: 'https://t.relay.example/' };
  json['publicHttp'] = { port: 8080 };
  const { config, errors } = validateConfig(json, '/tmp');
  assert.deepEqual(errors, []);
  assert.deepEqual({ ...config!.accounts[0]!.tracking, tags: { ...config!.accounts[0]!.tracking!.tags } }, { opens: false, clicks: true, baseUrl: 'https://t.relay.example', tags: {} });
  delete json['publicHttp'];
  assert.deepEqual(paths(json), ['$.accounts[0].tracking'], 'links need the listener that answers them');
  json['publicHttp'] = { port: 8080 };
  account['tracking'] = { opens: 'yes', baseUrl: 'https://t.relay.example/x?y=1', other: 1 };
  assert.deepEqual(paths(json).sort(), ['$.accounts[0].tracking.baseUrl', '$.accounts[0].tracking.opens', '$.accounts[0].tracking.other']);
});

test('admin.metricsTopDestinations: default 20, 0 to 1000, named in the error', () => {
  const json = minimal();
  json['admin'] = { port: 9000, token: 'a-long-enough-admin-token' };
  assert.equal(validateConfig(json, '/tmp').config!.admin!.metricsTopDestinations, 20);
  json['admin'] = { port: 9000, token: 'a-long-enough-admin-token', metricsTopDestinations: 5 };
  assert.equal(validateConfig(json, '/tmp').config!.admin!.metricsTopDestinations, 5);
  json['admin'] = { port: 9000, token: 'a-long-enough-admin-token', metricsTopDestinations: 1001 };
  assert.deepEqual(paths(json), ['$.admin.metricsTopDestinations']);
});
