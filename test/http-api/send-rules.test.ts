// The HTTP send API meets the rules of the SMTP accept path (test/relay/accept-path.test.ts), case for case, with the
// same codes, enhanced codes and texts, as JSON under the documented HTTP status. Real relay, Node fetch, outbound
// .eml read back with mailparser.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_A, KEY_B, waitForSubject, rawOutbox } from '../relay/relay-harness.js';
import { apiRelayPerSuite, message, post, type ApiRelay } from './http-api-harness.js';

describe('HTTP send API: the accept path of SPEC §3', () => {
  let t: ApiRelay;
  let send: string;
  apiRelayPerSuite(
    (r) => {
      t = r;
      send = `${r.url}/v1/send`;
    },
    (json) => {
      const a = json.accounts[0]!;
      a['routes'] = {
        main: { type: 'file', path: `${json['dataDir']}/out-main` },
        second: { type: 'file', path: `${json['dataDir']}/out-second` },
      };
      a['defaultRoute'] = 'main';
      a['templates'] = {
        welcome: { html: '<h1>Welcome {{ user.name }}</h1>', subject: 'Welcome, {{ user.name }}', tag: 'onboarding' },
        broken: { html: '<p>{% if %}</p>' },
      };
    },
  );

  test('queues a message and answers 202 { id, recipients } with the queue id', async () => {
    const r = await post(send, message({ to: [{ email: 'a1@example.net' }, { email: 'a2@example.net' }], subject: 'accepted 202' }));
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.match(r.json.id, /^[A-Za-z0-9_-]+$/);
    assert.equal(r.json.recipients, 2);
    assert.equal((await waitForSubject(t.outbox('out-main'), 'accepted 202', 2)).length, 2);
    const page = await t.relay.events.read({ type: ['accepted'] });
    assert.ok(page.events.some((e) => e.id === r.json.id), 'an accepted event carries the queue id');
  });

  test('the key may come as X-Auth-APIKey too; it decides the account', async () => {
    const r = await post(send, message({ subject: 'header key' }), { key: null, headers: { 'x-auth-apikey': KEY_B } });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal((await waitForSubject(t.outbox('out-other'), 'header key')).length, 1);
  });

  test('an unknown key is 401 with 535 5.7.8; no key is 401 with 530 5.7.0; both say how to authenticate', async () => {
    const bad = await post(send, message(), { key: 'wrong' });
    assert.equal(bad.status, 401);
    assert.deepEqual([bad.json.error.code, bad.json.error.enhanced], [535, '5.7.8']);
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer/);
    const none = await post(send, message(), { key: null });
    assert.equal(none.status, 401);
    assert.deepEqual([none.json.error.code, none.json.error.enhanced], [530, '5.7.0']);
    const notBearer = await post(send, message(), { key: null, headers: { authorization: `Basic ${KEY_A}` } });
    assert.equal(notBearer.status, 401);
    assert.match(notBearer.json.error.message, /Bearer <key>/);
  });

  test('keeps from, to names, subject and replyTo as the composed message\'s headers', async () => {
    const r = await post(
      send,
      message({
        from: { email: 'shop@example.com', name: 'Shop Ünïcode' },
        to: [{ email: 'pair1@example.net', name: 'First Name' }, { email: 'pair2@example.net', name: 'Second Name' }],
        replyTo: 'Support <support@example.com>',
        subject: 'Kept headers ✓',
        route: 'second',
      }),
    );
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const mails = await waitForSubject(t.outbox('out-second'), 'Kept headers ✓', 2);
    const byAddress = new Map(mails.map((m) => [(m.to as { value: { address: string }[] }).value[0]!.address, m]));
    const first = byAddress.get('pair1@example.net')!;
    assert.equal((first.to as { value: { name: string }[] }).value[0]!.name, 'First Name');
    assert.equal((byAddress.get('pair2@example.net')!.to as { value: { name: string }[] }).value[0]!.name, 'Second Name');
    assert.equal(first.from!.value[0]!.name, 'Shop Ünïcode');
    assert.equal(first.replyTo!.value[0]!.address, 'support@example.com');
    assert.equal(first.headers.has('x-transactional-route'), false);
    assert.match(String(first.messageId), new RegExp(`^<${r.json.id}\\.\\d@relay\\.test>$`));
  });

  test('a missing from is 422 with 554 5.6.0, like a message without a From header', async () => {
    const r = await post(send, message({ from: undefined }));
    assert.equal(r.status, 422);
    assert.deepEqual(r.json.error, { code: 554, enhanced: '5.6.0', message: 'The From header is required' });
  });

  test('no html and no template is 422 with 554 5.6.0 (text-only bodies are refused)', async () => {
    const r = await post(send, message({ html: undefined, text: 'only text' }));
    assert.equal(r.status, 422);
    assert.equal(r.json.error.enhanced, '5.6.0');
    assert.match(r.json.error.message, /Text-only/);
  });

  test('tag is normalised; a bad or too long tag is 422 with 554 5.6.0', async () => {
    const bad = await post(send, message({ tag: 'has space' }));
    assert.equal(bad.status, 422);
    assert.match(`${bad.json.error.code} ${bad.json.error.enhanced} ${bad.json.error.message}`, /^554 5\.6\.0 X-Transactional-Tag/);
    assert.equal((await post(send, message({ tag: 'a'.repeat(65) }))).status, 422);
    const ok = await post(send, message({ tag: '  Password-Reset  ', subject: 'tag normalised' }));
    assert.equal(ok.status, 202, JSON.stringify(ok.json));
    const page = await t.relay.events.read({ type: ['accepted'] });
    assert.equal(page.events.find((e) => e.id === ok.json.id)?.tag, 'password-reset');
  });

  test('route selects the account\'s route; an unknown one is 422 with 550 5.7.1', async () => {
    const r = await post(send, message({ route: 'nowhere' }));
    assert.equal(r.status, 422);
    assert.deepEqual([r.json.error.code, r.json.error.enhanced], [550, '5.7.1']);
    const second = await post(send, message({ route: 'second', subject: 'to the second route' }));
    assert.equal(second.status, 202);
    assert.equal((await waitForSubject(t.outbox('out-second'), 'to the second route')).length, 1);
  });

  test('an unknown template is 422 with 554 5.6.0', async () => {
    const r = await post(send, message({ template: 'missing' }));
    assert.equal(r.status, 422);
    assert.match(`${r.json.error.code} ${r.json.error.enhanced} ${r.json.error.message}`, /^554 5\.6\.0 X-Transactional-Template/);
  });

  test('a stored template replaces html and subject and renders the variables, autoescaped', async () => {
    const r = await post(send, message({ template: 'welcome', variables: { user: { name: 'Ann <b>' } }, subject: 'ignored', html: '<p>ignored</p>', to: [{ email: 'tpl@example.net' }] }));
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const [m] = await waitForSubject(t.outbox('out-main'), 'Welcome, Ann <b>');
    assert.equal(m!.html && m!.html.trim(), '<h1>Welcome Ann &lt;b&gt;</h1>');
    const page = await t.relay.events.read({ type: ['accepted'] });
    assert.equal(page.events.find((e) => e.id === r.json.id)?.tag, 'onboarding', 'the template\'s tag wins');
  });

  test('without variables the braces stay; with variables subject and html render (10.0 stays a float)', async () => {
    const raw = await post(send, message({ subject: 'raw braces', html: '<p>Hello {{ name }}</p>' }));
    assert.equal(raw.status, 202);
    const [m1] = await waitForSubject(t.outbox('out-main'), 'raw braces');
    assert.ok(m1!.html && m1!.html.includes('{{ name }}'));
    // Sent as text, so the float is written 10.0 as a client would.
    const body = `{"from":"shop@example.com","to":[{"email":"v@example.net"}],"subject":"Hi {{ name }}","html":"<p>{{ name }} {{ price }} {{ price * qty }}</p>","variables":{"name":"Bo","price":10.0,"qty":3}}`;
    const r = await post(send, body);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const [m2] = await waitForSubject(t.outbox('out-main'), 'Hi Bo');
    assert.equal(m2!.html && m2!.html.trim(), '<p>Bo 10.0 30.0</p>');
    const nullVars = await post(send, message({ subject: 'null vars {{ x }}', variables: null }));
    assert.equal(nullVars.status, 202);
    assert.equal((await waitForSubject(t.outbox('out-main'), 'null vars {{ x }}')).length, 1);
  });

  test('variables that are not an object, and a template syntax error, are 422 with 554 5.6.0 and the reason', async () => {
    const arr = await post(send, message({ variables: [1] }));
    assert.equal(arr.status, 422);
    assert.match(arr.json.error.message, /must be a JSON object/);
    const syntax = await post(send, message({ template: 'broken', variables: {} }));
    assert.equal(syntax.status, 422);
    assert.match(syntax.json.error.message, /line 1, column \d+/);
  });

  test('a __proto__ key in the variables is plain data', async () => {
    const r = await post(send, '{"from":"shop@example.com","to":[{"email":"p@example.net"}],"subject":"proto","html":"<p>{{ __proto__.polluted }}</p>","variables":{"__proto__":{"polluted":"yes"}}}');
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const [m] = await waitForSubject(t.outbox('out-main'), 'proto');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(m!.html && m!.html.trim(), '<p>yes</p>');
  });
});

describe('HTTP send API: account rules', () => {
  let t: ApiRelay;
  let send: string;
  apiRelayPerSuite(
    (r) => {
      t = r;
      send = `${r.url}/v1/send`;
    },
    (json) => {
      const a = json.accounts[0]!;
      a['senderDomains'] = ['example.com'];
      a['rate'] = { perDay: 3 };
      json['limits'] = { maxTagsPerAccount: 2, maxRecipients: 5 };
      const b = json.accounts[1]!;
      b['routes'] = { one: { type: 'file', path: `${json['dataDir']}/b1` }, two: { type: 'file', path: `${json['dataDir']}/b2` } };
      b['rate'] = { perSecond: 2 };
    },
  );

  test('a from outside the sender domains is 422 with 550 5.7.1', async () => {
    const r = await post(send, message({ from: 'someone@evil.example' }));
    assert.equal(r.status, 422);
    assert.match(`${r.json.error.code} ${r.json.error.enhanced} ${r.json.error.message}`, /^550 5\.7\.1 Sender domain/);
  });

  test('several routes and no default: route is required (422, 550 5.7.1)', async () => {
    const r = await post(send, message(), { key: KEY_B });
    assert.equal(r.status, 422);
    assert.match(r.json.error.message, /X-Transactional-Route is required/);
  });

  test('a new tag past the per-account limit is 422 with 554 5.6.0', async () => {
    for (const tag of ['t1', 't2']) assert.equal((await post(send, message({ tag, route: 'one' }), { key: KEY_B })).status, 202);
    await new Promise((r) => setTimeout(r, 1100)); // account b's rate (2/s) refills
    const third = await post(send, message({ tag: 't3', route: 'one' }), { key: KEY_B });
    assert.equal(third.status, 422);
    assert.match(third.json.error.message, /distinct tags/);
  });

  test('the sending rate refuses with 429, 451 4.7.1 and a Retry-After, and records the refusal', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(send, message({ route: 'two', subject: `rate ${i}` }), { key: KEY_B }));
    assert.deepEqual(answers.map((a) => a.status), [202, 202, 429]);
    const over = answers[2]!;
    assert.deepEqual([over.json.error.code, over.json.error.enhanced], [451, '4.7.1']);
    assert.match(over.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    const page = await t.relay.events.read({ type: ['rejected'], account: 'b' });
    assert.ok(page.events.some((e) => /^451 4\.7\.1/.test(String(e.reply))), 'a rejected event with the 451 reply');
  });

  test('the daily quota refuses with 429 and a Retry-After until the next UTC day, queueing nothing', async () => {
    const first = await post(send, message({ to: [{ email: 'q1@example.net' }, { email: 'q2@example.net' }, { email: 'q3@example.net' }], subject: 'quota' }));
    assert.equal(first.status, 202, JSON.stringify(first.json));
    const over = await post(send, message({ to: [{ email: 'q4@example.net' }], subject: 'quota' }));
    assert.equal(over.status, 429);
    assert.deepEqual([over.json.error.code, over.json.error.enhanced], [451, '4.7.1']);
    const retryAfter = Number(over.headers.get('retry-after'));
    const untilMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    assert.ok(retryAfter > 0 && Math.abs(retryAfter - untilMidnight) <= 5, `Retry-After ${retryAfter} s, next UTC day in ${untilMidnight} s`);
    assert.equal((await waitForSubject(t.outbox('out-main'), 'quota', 3)).length, 3);
    assert.equal((await rawOutbox(t.outbox('out-main'))).length, 3);
  });

  test('more recipients than limits.maxRecipients is 400 naming "to"', async () => {
    const to = Array.from({ length: 6 }, (_, i) => ({ email: `r${i}@example.net` }));
    const r = await post(send, message({ to }), { key: KEY_B });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.field, 'to');
    assert.match(r.json.error.message, /at most 5/);
  });
});
