// Message activity over a real relay: messages sent with nodemailer, delivered by a real upstream (smtp-server) that
// accepts one recipient, defers another once (451) and refuses a third (550). The timelines come from the relay's
// admin server, first from its in-memory index, then after a restart from the event log alone; the composed
// messages are retained for account "a" (retention.days) and not for account "b" (off), and expire.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RetentionStore } from '../../src/relay/storage/retention.js';
import { KEY_B, removeDir, sendWithNodemailer, startTestRelay, type ConfigPatch, type TestRelay } from '../relay/relay-harness.js';
import { startSmtpServerUpstream, type SmtpServerUpstream } from '../delivery/upstream-smtp-server.js';
import type { MessageSearchPage, MessageTimeline } from '../../src/relay/admin/message-activity.js';

const TOKEN = 'messages-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const DAY = 86_400_000;

interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

async function getJson<T>(base: string, path: string, headers: Record<string, string> = auth): Promise<ApiAnswer<T>> {
  const res = await fetch(base + path, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

function queueIdOf(response: string): string {
  const m = /queued as (\S+)/.exec(response);
  assert.ok(m, `no queue id in ${response}`);
  return m[1]!;
}

/** Waits (bounded) until every recipient of the message has one of the final states. */
async function waitFinal(base: string, id: string, timeoutMs = 15_000): Promise<MessageTimeline> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await getJson<MessageTimeline>(base, `/api/messages/${id}`);
    if (status === 200 && body.recipients.length > 0 && body.recipients.every((r) => r.status === 'delivered' || r.status === 'failed')) return body;
    if (Date.now() > deadline) throw new Error(`message ${id} not final after ${timeoutMs} ms: ${status} ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const steps = (t: MessageTimeline, recipient: string): string[] =>
  t.recipients.find((r) => r.recipient === recipient)!.timeline.map((s) => `${s.type}${s.attempt === undefined ? '' : `#${s.attempt}`}`);

describe('message activity over a real relay', () => {
  let upstream: SmtpServerUpstream;
  let t: TestRelay;
  let base: string;
  const ids: Record<string, string> = {};
  const patch: ConfigPatch = (json) => {
    json['admin'] = { host: '127.0.0.1', port: 0, token: TOKEN };
    const a = json.accounts[0]!;
    a['routes'] = { main: { type: 'smtp', host: '127.0.0.1', port: upstream.port, tls: 'none' } };
    a['retention'] = { days: 7 };
  };

  before(async () => {
    upstream = await startSmtpServerUpstream({
      rcpt: (address, n) => {
        if (address.startsWith('bounce')) return { code: 550, text: '5.1.1 No such user here' };
        if (address.startsWith('later') && n === 0) return { code: 451, text: '4.7.1 Greylisted, try again later' };
        if (address.startsWith('stuck')) return { code: 452, text: '4.2.2 Mailbox full' };
        return null;
      },
    });
    t = await startTestRelay(patch);
    base = `http://127.0.0.1:${t.relay.admin!.port}`;
    const send = async (name: string, to: string, tag: string, key?: string): Promise<void> => {
      const r = await sendWithNodemailer(t.port, { from: 'App <app@sender.test>', to, subject: `Subject ${name}`, html: `<p>Hello ${name}</p>`, headers: { 'X-Transactional-Tag': tag } }, key ? { key } : undefined);
      assert.equal(r.code, 250, r.response);
      ids[name] = queueIdOf(r.response);
    };
    await send('ok', 'ok@dest.test', 'welcome');
    await send('later', 'later@dest.test', 'welcome');
    await send('bounce', 'bounce@dest.test', 'reset');
    await send('two', 'ok@dest.test, second@dest.test', 'welcome');
    await send('b', 'someone@dest.test', 'other', KEY_B);
    await send('stuck', 'stuck@dest.test', 'stuck');
    for (const name of ['ok', 'later', 'bounce', 'two', 'b']) await waitFinal(base, ids[name]!);
  });

  after(async () => {
    await t?.stop();
    await upstream?.close();
    if (t) await removeDir(t.dir);
  });

  it('shows a delivered message: accepted, then delivered on the first attempt with the upstream reply', async () => {
    const { status, body } = await getJson<MessageTimeline>(base, `/api/messages/${ids['ok']}`);
    assert.equal(status, 200);
    assert.equal(body.source, 'memory');
    assert.equal(body.complete, true);
    assert.equal(body.account, 'a');
    assert.equal(body.tag, 'welcome');
    assert.equal(body.route, 'main');
    assert.deepEqual(steps(body, 'ok@dest.test'), ['accepted', 'delivered#1']);
    const delivered = body.recipients[0]!.timeline[1]!;
    assert.match(delivered.reply ?? '', /^250 /);
    assert.equal(typeof delivered.latencyMs, 'number');
    assert.equal(body.recipients[0]!.status, 'delivered');
  });

  it('shows a deferred-then-delivered message with the 451 of the first attempt', async () => {
    const { body } = await getJson<MessageTimeline>(base, `/api/messages/${ids['later']}`);
    assert.deepEqual(steps(body, 'later@dest.test'), ['accepted', 'deferred#1', 'delivered#2']);
    assert.match(body.recipients[0]!.timeline[1]!.reply ?? '', /^451 .*Greylisted/);
    assert.equal(body.recipients[0]!.status, 'delivered');
  });

  it('shows a failed (5xx) message with the upstream refusal', async () => {
    const { body } = await getJson<MessageTimeline>(base, `/api/messages/${ids['bounce']}`);
    assert.deepEqual(steps(body, 'bounce@dest.test'), ['accepted', 'failed#1']);
    assert.match(body.recipients[0]!.timeline[1]!.reply ?? '', /^550 .*No such user/);
    assert.equal(body.recipients[0]!.status, 'failed');
  });

  it('finds a message by the Message-ID the upstream received, with or without angle brackets', async () => {
    const received = upstream.messages.find((m) => m.to.includes('later@dest.test'))!;
    const messageId = /^Message-ID: <([^>]+)>/im.exec(received.body.toString('utf8'))![1]!;
    assert.ok(messageId.startsWith(ids['later']! + '.'), messageId);
    for (const ref of [messageId, `<${messageId}>`]) {
      const { status, body } = await getJson<MessageTimeline>(base, `/api/messages/${encodeURIComponent(ref)}`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.id, ids['later']);
    }
  });

  it('searches by recipient: each message once, newest first, with its latest state', async () => {
    const { status, body } = await getJson<MessageSearchPage>(base, '/api/messages?recipient=ok%40dest.test');
    assert.equal(status, 200);
    assert.deepEqual(
      body.messages.map((m) => m.id),
      [ids['two'], ids['ok']],
    );
    assert.deepEqual(body.messages[1]!.recipients, [{ recipient: 'ok@dest.test', status: 'delivered', time: body.messages[1]!.recipients[0]!.time, reply: body.messages[1]!.recipients[0]!.reply }]);
    assert.match(body.messages[1]!.recipients[0]!.reply ?? '', /^250 /);
    assert.equal(body.next, null);
    assert.equal(body.scanLimitHit, false);
    assert.ok(body.scanned > 0);
  });

  it('searches by tag and account, pages with a cursor, and never shows a message twice', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const { status, body }: ApiAnswer<MessageSearchPage> = await getJson<MessageSearchPage>(base, `/api/messages?account=a&tag=welcome&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(status, 200, JSON.stringify(body));
      seen.push(...body.messages.map((m) => m.id));
      cursor = body.next;
      assert.ok(++pages <= 5, 'too many pages');
    }
    assert.deepEqual(seen, [ids['two'], ids['later'], ids['ok']]);
    const two = (await getJson<MessageSearchPage>(base, `/api/messages?tag=welcome&limit=1`)).body.messages[0]!;
    assert.deepEqual(
      two.recipients.map((r) => [r.recipient, r.status]),
      [
        ['ok@dest.test', 'delivered'],
        ['second@dest.test', 'delivered'],
      ],
    );
  });

  it('returns the retained copy of what was sent, byte for byte, for delivered and failed recipients', async () => {
    const res = await fetch(`${base}/api/messages/${ids['ok']}/content`, { headers: auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'message/rfc822');
    assert.equal(res.headers.get('x-txrelay-content-source'), 'retention');
    const body = Buffer.from(await res.arrayBuffer());
    const received = upstream.messages.find((m) => m.to.includes('ok@dest.test') && m.body.includes('Subject ok'))!;
    assert.equal(body.toString('utf8').trimEnd(), received.body.toString('utf8').trimEnd());
    const failed = await fetch(`${base}/api/messages/${ids['bounce']}/content?recipient=bounce%40dest.test`, { headers: auth });
    assert.equal(failed.status, 200);
    assert.match(await failed.text(), /Subject: Subject bounce/);
    const timeline = (await getJson<MessageTimeline>(base, `/api/messages/${ids['ok']}`)).body;
    assert.equal(timeline.recipients[0]!.content, true);
    assert.ok(Date.parse(timeline.retainedUntil!) >= Date.now() + 7 * DAY);
  });

  it('returns a deferred message still in the spool from the spool, and shows its attempts so far', async () => {
    const deadline = Date.now() + 10_000;
    let timeline: MessageTimeline;
    for (;;) {
      timeline = (await getJson<MessageTimeline>(base, `/api/messages/${ids['stuck']}`)).body;
      if (timeline.recipients[0]!.timeline.length >= 3) break;
      assert.ok(Date.now() < deadline, `no second attempt: ${JSON.stringify(timeline)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const r = timeline.recipients[0]!;
    assert.equal(r.status, 'deferred');
    assert.deepEqual(r.timeline.slice(0, 3).map((s) => `${s.type}#${s.attempt ?? ''}`), ['accepted#', 'deferred#1', 'deferred#2']);
    assert.match(r.timeline[1]!.reply ?? '', /^452 .*Mailbox full/);
    assert.equal(r.content, true);
    const res = await fetch(`${base}/api/messages/${ids['stuck']}/content`, { headers: auth });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-txrelay-content-source'), 'spool');
    assert.match(await res.text(), /Subject: Subject stuck/);
  });

  it('needs the recipient of a message with several, and names an unknown one', async () => {
    const many = await getJson<{ parameter: string; reason: string }>(base, `/api/messages/${ids['two']}/content`);
    assert.equal(many.status, 400);
    assert.equal(many.body.parameter, 'recipient');
    assert.match(many.body.reason, /2 recipients \(ok@dest\.test, second@dest\.test\)/);
    const second = await fetch(`${base}/api/messages/${ids['two']}/content?recipient=SECOND%40dest.test`, { headers: auth });
    assert.equal(second.status, 200);
    assert.match(await second.text(), /To: <?second@dest\.test>?/);
    const unknown = await getJson<{ parameter: string; reason: string }>(base, `/api/messages/${ids['two']}/content?recipient=nobody%40dest.test`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.parameter, 'recipient');
  });

  it('keeps nothing for an account with retention off, and says so', async () => {
    const { status, body } = await getJson<{ error: string; reason: string }>(base, `/api/messages/${ids['b']}/content`);
    assert.equal(status, 404);
    assert.equal(body.error, 'not retained');
    assert.match(body.reason, /retention is off for account b/);
    const days = await readdir(join(t.dir, 'retention'));
    for (const day of days) assert.ok(!(await readdir(join(t.dir, 'retention', day))).includes(ids['b']!), `a copy of b's message in ${day}`);
    const timeline = (await getJson<MessageTimeline>(base, `/api/messages/${ids['b']}`)).body;
    assert.equal(timeline.recipients[0]!.content, false);
  });

  it('answers bad parameters and unknown messages with JSON naming the parameter', async () => {
    const cases: [string, number, string | null][] = [
      ['/api/messages?since=yesterday', 400, 'since'],
      ['/api/messages?limit=0', 400, 'limit'],
      ['/api/messages?limit=501', 400, 'limit'],
      ['/api/messages?limit=ten', 400, 'limit'],
      ['/api/messages?recipient=not-an-address', 400, 'recipient'],
      ['/api/messages?cursor=garbage', 400, 'cursor'],
      ['/api/messages?cursor=1:2', 400, 'cursor'],
      ['/api/messages?account=nobody', 404, 'account'],
      ['/api/messages?colour=blue', 400, 'colour'],
      [`/api/messages?since=${Date.now() + DAY}`, 400, 'since'],
      ['/api/messages/0000000000unknownmessage0000', 404, 'id'],
      ['/api/messages/bad%20id', 400, 'id'],
      ['/api/messages/%E0%A4%A', 400, 'id'],
      [`/api/messages/${ids['ok']}?x=1`, 400, 'x'],
      [`/api/messages/${ids['ok']}/other`, 404, null],
    ];
    for (const [path, status, parameter] of cases) {
      const res = await getJson<{ error: string; parameter: string | null; reason: string }>(base, path);
      assert.equal(res.status, status, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.parameter, parameter, path);
      assert.ok(res.body.reason.length > 0);
    }
    const noToken = await getJson<{ error: string }>(base, `/api/messages/${ids['ok']}`, {});
    assert.equal(noToken.status, 401);
    const post = await fetch(`${base}/api/messages`, { method: 'POST', headers: auth });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('after a restart, reads the same timelines back from the event log', async () => {
    const before = (await getJson<MessageTimeline>(base, `/api/messages/${ids['later']}`)).body;
    await t.stop();
    t = await startTestRelay(patch, t.dir);
    base = `http://127.0.0.1:${t.relay.admin!.port}`;
    const { status, body } = await getJson<MessageTimeline>(base, `/api/messages/${ids['later']}`);
    assert.equal(status, 200);
    assert.equal(body.source, 'log');
    assert.equal(body.complete, true);
    assert.equal(body.scanLimitHit, false);
    assert.deepEqual(body.recipients, before.recipients);
    const search = (await getJson<MessageSearchPage>(base, '/api/messages?recipient=later%40dest.test')).body;
    assert.deepEqual(
      search.messages.map((m) => [m.id, m.recipients[0]!.status]),
      [[ids['later'], 'delivered']],
    );
  });

  it('expires retained copies: once their days are over the sweep removes them and the API says why', async () => {
    // The relay sweeps hourly on the real clock; a store on the same folder, nine days on, sweeps now.
    const later = new RetentionStore(join(t.dir, 'retention'), { now: () => Date.now() + 9 * DAY });
    assert.equal((await later.find(ids['ok']!))?.expired, true);
    const removed = await later.sweep();
    assert.ok(removed >= 4, `removed ${removed}`);
    assert.deepEqual(await readdir(join(t.dir, 'retention')), []);
    const { status, body } = await getJson<{ error: string; reason: string }>(base, `/api/messages/${ids['ok']}/content`);
    assert.equal(status, 404);
    assert.equal(body.error, 'not retained');
    assert.match(body.reason, new RegExp(`no copy of message ${ids['ok']} for ok@dest.test was kept`));
  });
});
