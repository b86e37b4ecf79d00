// SPEC §3 end to end: real relay, real SMTP clients (nodemailer), outbound .eml read back with mailparser.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_A, KEY_B, relayPerSuite, waitForSubject, sendWithNodemailer, type TestRelay } from './relay-harness.js';

const html = '<html><body><p>Hello {{ name }}</p></body></html>';

describe('relay accept path (SPEC §3)', () => {
  let t: TestRelay;
  relayPerSuite((r) => (t = r), (json) => {
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
  });

  test('queues a message authenticated by AUTH and replies 250 2.0.0 Ok: queued as <id>', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'Shop <shop@example.com>', to: 'x1@example.net', subject: 'Order', html: '<p>one</p>' });
    assert.match(r.response, /^250 2\.0\.0 Ok: queued as [A-Za-z0-9_-]+$/);
  });

  test('AUTH with an unknown key is refused with 535 5.7.8', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>' }, { key: 'wrong' });
    assert.equal(r.ok, false);
    assert.match(r.response, /^535 5\.7\.8/);
  });

  test('no API key at all is refused at end of DATA with 530 5.7.0', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>' }, null);
    assert.equal(r.code, 530);
    assert.match(r.response, /5\.7\.0/);
  });

  test('an invalid X-Auth-APIKey header is refused with 535 5.7.8', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Auth-APIKey': 'nope' } }, null);
    assert.equal(r.code, 535);
    assert.match(r.response, /5\.7\.8/);
  });

  test('the X-Auth-APIKey header decides the account even after AUTH with another key', async () => {
    const r = await sendWithNodemailer(
      t.port,
      { from: 'shop@example.com', to: 'hdr@example.net', subject: 'header wins', html: '<p>b</p>', headers: { 'X-Auth-APIKey': KEY_B } },
      { key: KEY_A },
    );
    assert.equal(r.code, 250, r.response);
    assert.equal((await waitForSubject(t.outbox('out-other'), 'header wins')).length, 1);
  });

  test('keeps From, To names matched to RCPT by address, Subject and Reply-To; drops every other header', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: '"Shop Ünïcode" <shop@example.com>',
      to: ['"Second Name" <pair2@EXAMPLE.NET>', '"First Name" <pair1@example.net>'],
      envelope: { from: 'bounce@example.com', to: ['pair1@example.net', 'pair2@example.net'] },
      replyTo: 'Support <support@example.com>',
      subject: 'Kept headers ✓',
      html: '<p>kept</p>',
      headers: { 'X-Custom-Secret': 'drop me', 'X-Transactional-Route': 'second' },
    });
    assert.equal(r.code, 250, r.response);
    const mails = await waitForSubject(t.outbox('out-second'), 'Kept headers ✓', 2);
    const byAddress = new Map(mails.map((m) => [(m.to as { value: { address: string; name: string }[] }).value[0]!.address, m]));
    const first = byAddress.get('pair1@example.net')!;
    const second = byAddress.get('pair2@example.net')!;
    assert.equal((first.to as { value: { name: string }[] }).value[0]!.name, 'First Name');
    assert.equal((second.to as { value: { name: string }[] }).value[0]!.name, 'Second Name');
    assert.equal(first.from!.value[0]!.name, 'Shop Ünïcode');
    assert.equal(first.from!.value[0]!.address, 'shop@example.com');
    assert.equal(first.replyTo!.value[0]!.address, 'support@example.com');
    assert.equal(first.subject, 'Kept headers ✓');
    assert.equal(first.headers.has('x-custom-secret'), false);
    assert.equal(first.headers.has('x-transactional-route'), false);
    assert.ok(first.messageId && first.messageId !== second.messageId, 'each outbound message has a fresh Message-ID');
    assert.ok(first.date instanceof Date);
  });

  test('keeps only the HTML body: text alternative and attachments are dropped', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: 'shop@example.com',
      to: 'html-only@example.net',
      subject: 'html only',
      text: 'plain version',
      html: '<p>html version</p>',
      attachments: [{ filename: 'invoice.pdf', content: Buffer.alloc(5000, 1), contentType: 'application/pdf' }],
      headers: { 'X-Transactional-Route': 'second' },
    });
    assert.equal(r.code, 250, r.response);
    const [m] = await waitForSubject(t.outbox('out-second'), 'html only');
    assert.ok(m);
    assert.equal(m.html && m.html.trim(), '<p>html version</p>');
    assert.equal(m.attachments.length, 0);
    assert.equal(m.text?.includes('plain version') ?? false, false);
  });

  test('a text-only message is refused with 554 5.6.0', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', text: 'only text' });
    assert.equal(r.code, 554);
    assert.match(r.response, /5\.6\.0 .*[Tt]ext-only/);
  });

  test('X-Transactional-Tag is normalised; a bad tag is refused with 554 5.6.0', async () => {
    const bad = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Transactional-Tag': 'has space' } });
    assert.equal(bad.code, 554);
    assert.match(bad.response, /5\.6\.0 X-Transactional-Tag/);
    const long = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Transactional-Tag': 'a'.repeat(65) } });
    assert.equal(long.code, 554);
    const ok = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Transactional-Tag': '  Password-Reset  ' } });
    assert.equal(ok.code, 250, ok.response);
  });

  test('an unknown X-Transactional-Route is refused with 550 5.7.1', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Transactional-Route': 'nowhere' } });
    assert.equal(r.code, 550);
    assert.match(r.response, /5\.7\.1/);
  });

  test('an unknown X-Transactional-Template is refused with 554 5.6.0', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Transactional-Template': 'missing' } });
    assert.equal(r.code, 554);
    assert.match(r.response, /5\.6\.0 X-Transactional-Template/);
  });

  test('a stored template replaces HTML and subject and is rendered with the variables (autoescaped)', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: 'shop@example.com',
      to: 'tpl@example.net',
      subject: 'ignored',
      html: '<p>ignored</p>',
      headers: { 'X-Transactional-Template': 'welcome', 'X-Transactional-Variables': JSON.stringify({ user: { name: 'Ann <b>' } }), 'X-Transactional-Route': 'main' },
    });
    assert.equal(r.code, 250, r.response);
    const [m] = await waitForSubject(t.outbox('out-main'), 'Welcome, Ann <b>');
    assert.ok(m);
    assert.equal(m.html && m.html.trim(), '<h1>Welcome Ann &lt;b&gt;</h1>');
  });

  test('without variables the braces in the body stay as written', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'raw@example.net', subject: 'raw braces', html, headers: { 'X-Transactional-Route': 'main' } });
    assert.equal(r.code, 250, r.response);
    const [m] = await waitForSubject(t.outbox('out-main'), 'raw braces');
    assert.ok(m);
    assert.ok(m.html && m.html.includes('{{ name }}'));
  });

  test('variables that are null mean no rendering; an object renders the message HTML', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: 'shop@example.com',
      to: 'vars@example.net',
      subject: 'Hi {{ name }}',
      html,
      headers: { 'X-Transactional-Variables': '{"name":"Bo"}', 'X-Transactional-Route': 'main' },
    });
    assert.equal(r.code, 250, r.response);
    const [m] = await waitForSubject(t.outbox('out-main'), 'Hi Bo');
    assert.ok(m);
    assert.ok(m.html && m.html.includes('<p>Hello Bo</p>'));
  });

  test('invalid JSON variables, a non-object and a template syntax error are refused with 554 5.6.0 and the reason', async () => {
    const bad = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html, headers: { 'X-Transactional-Variables': '{nope' } });
    assert.equal(bad.code, 554);
    assert.match(bad.response, /5\.6\.0 X-Transactional-Variables is not valid JSON/);
    const arr = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html, headers: { 'X-Transactional-Variables': '[1]' } });
    assert.equal(arr.code, 554);
    assert.match(arr.response, /must be a JSON object/);
    const syntax = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>', headers: { 'X-Transactional-Template': 'broken', 'X-Transactional-Variables': '{}' } });
    assert.equal(syntax.code, 554);
    assert.match(syntax.response, /5\.6\.0 .*line 1, column \d+/);
  });
});

describe('relay account rules', () => {
  let t: TestRelay;
  relayPerSuite((r) => (t = r), (json) => {
    const a = json.accounts[0]!;
    a['senderDomains'] = ['example.com'];
    a['rate'] = { perDay: 3 };
    json['limits'] = { maxTagsPerAccount: 2 };
    const b = json.accounts[1]!;
    b['routes'] = { one: { type: 'file', path: `${json['dataDir']}/b1` }, two: { type: 'file', path: `${json['dataDir']}/b2` } };
  });

  test('a From address outside the sender domains is refused with 550 5.7.1', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'someone@evil.example', to: 'x@example.net', subject: 's', html: '<p>x</p>' });
    assert.equal(r.code, 550);
    assert.match(r.response, /5\.7\.1 Sender domain/);
  });

  test('several routes and no default: X-Transactional-Route is required (550 5.7.1)', async () => {
    const r = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>' }, { key: KEY_B });
    assert.equal(r.code, 550);
    assert.match(r.response, /5\.7\.1 X-Transactional-Route is required/);
  });

  test('a new tag past the per-account limit is refused with 554 5.6.0', async () => {
    for (const tag of ['t1', 't2']) {
      const ok = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Transactional-Tag': tag, 'X-Transactional-Route': 'one' } }, { key: KEY_B });
      assert.equal(ok.code, 250, ok.response);
    }
    const third = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>', headers: { 'X-Transactional-Tag': 't3', 'X-Transactional-Route': 'one' } }, { key: KEY_B });
    assert.equal(third.code, 554);
    assert.match(third.response, /5\.6\.0 .*distinct tags/);
  });

  test('the daily quota refuses further sends with 451 4.7.1 and queues nothing', async () => {
    const first = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: ['q1@example.net', 'q2@example.net', 'q3@example.net'], subject: 'quota', html: '<p>x</p>' });
    assert.equal(first.code, 250, first.response);
    const over = await sendWithNodemailer(t.port, { from: 'shop@example.com', to: 'q4@example.net', subject: 'quota', html: '<p>x</p>' });
    assert.equal(over.code, 451);
    assert.match(over.response, /4\.7\.1/);
    assert.equal((await waitForSubject(t.outbox('out-main'), 'quota', 3)).length, 3);
  });
});

describe('relay variables', () => {
  let t: TestRelay;
  relayPerSuite((r) => (t = r));

  test('a JSON float like 10.0 prints as Jinja2 prints it, and integers stay integers', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: 'shop@example.com',
      to: 'float@example.net',
      subject: 'floats',
      html: '<p>{{ price }} {{ qty }} {{ price * qty }}</p>',
      headers: { 'X-Transactional-Variables': '{"price": 10.0, "qty": 3}' },
    });
    assert.equal(r.code, 250, r.response);
    const [m] = await waitForSubject(t.outbox('out-main'), 'floats');
    assert.equal(m!.html && m!.html.trim(), '<p>10.0 3 30.0</p>');
  });

  test('a __proto__ key in the variables is plain data, not a prototype', async () => {
    const r = await sendWithNodemailer(t.port, {
      from: 'shop@example.com',
      to: 'proto@example.net',
      subject: 'proto',
      html: '<p>{{ __proto__.polluted }}|{{ {}.polluted }}</p>',
      headers: { 'X-Transactional-Variables': '{"__proto__": {"polluted": "yes"}}' },
    });
    assert.equal(r.code, 250, r.response);
    const [m] = await waitForSubject(t.outbox('out-main'), 'proto');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.ok(m!.html);
  });
});

describe('relay addresses', () => {
  let t: TestRelay;
  relayPerSuite((r) => (t = r));

  test('a From address with a quoted space is re-quoted on output ("a b"@example.com), not refused', async () => {
    const raw = 'From: "a b"@example.com\r\nTo: x@example.net\r\nSubject: quoted from\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n';
    const r = await sendWithNodemailer(t.port, { raw, envelope: { from: 'ok@example.com', to: ['x@example.net'] } });
    assert.equal(r.code, 250, r.response);
    const [mail] = await waitForSubject(t.outbox('out-main'), 'quoted from');
    assert.match(String(mail!.headerLines.find((h) => h.key === 'from')?.line), /^From: <"a b"@example\.com>$/);
  });

  test('a RCPT with a quoted local part is written quoted in To', async () => {
    const raw = 'From: shop@example.com\r\nTo: Jane Q\r\nSubject: quoted rcpt\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n';
    const r = await sendWithNodemailer(t.port, { raw, envelope: { from: 'ok@example.com', to: ['"jane q"@example.net'] } });
    assert.equal(r.code, 250, r.response);
    const [mail] = await waitForSubject(t.outbox('out-main'), 'quoted rcpt');
    assert.match(String(mail!.headerLines.find((h) => h.key === 'to')?.line), /^To: Jane Q <"jane q"@example\.net>$/);
  });

  test('a From header without a domain gets a permanent 554 5.6.0 naming the field, not a temporary 451', async () => {
    const raw = 'From: nobody@\r\nTo: x@example.net\r\nSubject: s\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n';
    const r = await sendWithNodemailer(t.port, { raw, envelope: { from: 'ok@example.com', to: ['x@example.net'] } });
    assert.equal(r.code, 554, r.response);
    assert.match(r.response, /5\.6\.0 .*from/i);
  });

  test('a From header with a name and no address is refused with 554 5.6.0', async () => {
    const raw = 'From: Shop Team\r\nTo: x@example.net\r\nSubject: s\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n';
    const r = await sendWithNodemailer(t.port, { raw, envelope: { from: 'ok@example.com', to: ['x@example.net'] } });
    assert.equal(r.code, 554, r.response);
    assert.match(r.response, /5\.6\.0 The From header has no address/);
  });
});

describe('relay To names (SPEC §3: names from To, addresses from RCPT)', () => {
  let t: TestRelay;
  relayPerSuite((r) => (t = r));

  /** Sends `to` as the To header with these RCPTs; returns each recipient's outbound To line. */
  async function toLines(subject: string, to: string, rcpts: string[]): Promise<Map<string, string>> {
    const raw = `From: shop@example.com\r\nTo: ${to}\r\nSubject: ${subject}\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n`;
    const r = await sendWithNodemailer(t.port, { raw, envelope: { from: 'shop@example.com', to: rcpts } });
    assert.equal(r.code, 250, r.response);
    const mails = await waitForSubject(t.outbox('out-main'), subject, rcpts.length);
    const out = new Map<string, string>();
    for (const m of mails) {
      const line = String(m.headerLines.find((h) => h.key === 'to')?.line);
      const rcpt = (m.to as { value: { address: string }[] }).value[0]!.address;
      out.set(rcpt, line);
    }
    return out;
  }

  test('To: Jane Doe + RCPT <jane@example.org> leaves as To: Jane Doe <jane@example.org>', async () => {
    const lines = await toLines('name only', 'Jane Doe', ['jane@example.org']);
    assert.equal(lines.get('jane@example.org'), 'To: Jane Doe <jane@example.org>');
  });

  test('several names, a quoted name with a comma and an encoded word pair in order with the RCPTs', async () => {
    const lines = await toLines('three names', 'Jane Doe, "Doe, Bob", =?utf-8?q?J=C3=BCrgen?=', ['a@example.org', 'b@example.org', 'c@example.org']);
    assert.equal(lines.get('a@example.org'), 'To: Jane Doe <a@example.org>');
    assert.equal(lines.get('b@example.org'), 'To: "Doe, Bob" <b@example.org>');
    assert.match(lines.get('c@example.org')!, /^To: =\?utf-8\?[BQ]\?.*\?= <c@example\.org>$/i);
    const [mail] = await waitForSubject(t.outbox('out-main'), 'three names', 3).then((ms) => ms.filter((m) => (m.to as { value: { address: string }[] }).value[0]!.address === 'c@example.org'));
    assert.equal((mail!.to as { value: { name: string }[] }).value[0]!.name, 'Jürgen');
  });

  test('Name <addr> is matched by address first, never by position: Ann never sees Bob\'s name', async () => {
    const lines = await toLines('by address', 'Bob Builder <bob@example.org>, Ann Smith <ann@EXAMPLE.org>', ['ann@example.org', 'bob@example.org']);
    assert.equal(lines.get('ann@example.org'), 'To: Ann Smith <ann@example.org>');
    assert.equal(lines.get('bob@example.org'), 'To: Bob Builder <bob@example.org>');
  });

  test('name-only entries pair with the recipients that no address entry named; an unmatched address names nobody', async () => {
    const lines = await toLines('mixed', 'Stranger <nobody@example.org>, Carol, Bob Builder <bob@example.org>, Dave', ['carol@example.org', 'bob@example.org', 'dave@example.org']);
    assert.equal(lines.get('carol@example.org'), 'To: Carol <carol@example.org>');
    assert.equal(lines.get('bob@example.org'), 'To: Bob Builder <bob@example.org>');
    assert.equal(lines.get('dave@example.org'), 'To: Dave <dave@example.org>');
  });

  test('more names than RCPTs: extra names are ignored; fewer: the rest get no name; groups and empty entries are skipped', async () => {
    const extra = await toLines('extra names', 'One, Two, Three', ['one@example.org']);
    assert.equal(extra.get('one@example.org'), 'To: One <one@example.org>');
    const fewer = await toLines('fewer names', 'Only One', ['first@example.org', 'second@example.org']);
    assert.equal(fewer.get('first@example.org'), 'To: Only One <first@example.org>');
    assert.equal(fewer.get('second@example.org'), 'To: <second@example.org>');
    const group = await toLines('group', 'Team: Ann, , Bob;, Undisclosed recipients:;', ['ann@example.org', 'bob@example.org']);
    assert.equal(group.get('ann@example.org'), 'To: Ann <ann@example.org>');
    assert.equal(group.get('bob@example.org'), 'To: Bob <bob@example.org>');
  });
});
