// The admin API over a real relay's event log and suppression list: a message sent with nodemailer,
// delivered to one recipient and hard-bounced by a real upstream (smtp-server) for the other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AdminServer } from '../../src/relay/admin/admin-server.js';
import { TagStats } from '../../src/relay/admin/stats.js';
import type { StoredEvent } from '../../src/relay/storage/event-log.js';
import { removeDir, sendWithNodemailer, startTestRelay, startUpstream, type TestRelay, type TestUpstream } from '../relay/relay-harness.js';
import { TOKEN } from './fixture.js';

const auth = { authorization: `Bearer ${TOKEN}` };

describe('admin API over a real relay', () => {
  let upstream: TestUpstream;
  let t: TestRelay;
  let admin: AdminServer;
  let base: string;

  before(async () => {
    upstream = await startUpstream();
    t = await startTestRelay((json) => {
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'smtp', host: '127.0.0.1', port: upstream.port, tls: 'none' };
    });
    const sent = await sendWithNodemailer(t.port, {
      from: 'App <app@sender.test>',
      to: 'ok@dest.test, bounce@dest.test',
      subject: 'Welcome',
      html: '<p>Hello</p>',
      headers: { 'X-Transactional-Tag': 'welcome' },
    });
    assert.equal(sent.code, 250, sent.response);
    // Delivery runs in the background: wait (bounded) until both recipients have a final event.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const page = await t.relay.events.read({ type: ['delivered', 'failed'] });
      if (page.events.length >= 2) break;
      if (Date.now() > deadline) throw new Error(`recipients not final after 15 s: ${JSON.stringify(page.events)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    // The stats are rebuilt from the relay's event log, as at a restart.
    const stats = new TagStats();
    await stats.rebuildFrom(t.relay.events);
    admin = new AdminServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      metrics: { exposition: () => '' },
      stats,
      events: t.relay.events,
      suppressions: t.relay.suppression,
      accounts: () => t.relay.config.accounts.map((a) => a.id),
      readiness: () => ({ ready: true }),
    });
    base = `http://127.0.0.1:${(await admin.listen()).port}`;
  });

  after(async () => {
    await admin?.close();
    await t?.stop();
    await upstream?.close();
    if (t) await removeDir(t.dir);
  });

  it('counts the accepted, delivered and hard-bounced recipients of the tag, by domain', async () => {
    const res = await fetch(`${base}/api/stats?account=a&tag=welcome`, { headers: auth });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { accounts: { tags: { tag: string; totals: Record<string, number>; domains: { domain: string }[] }[] }[] };
    const welcome = body.accounts[0]!.tags[0]!;
    assert.equal(welcome.tag, 'welcome');
    assert.deepEqual(welcome.totals, { accepted: 2, delivered: 1, deferred: 0, failed: 1, rejected: 0, suppressed: 0, bounced: 0, complained: 0, unsubscribed: 0, opened: 0, clicked: 0, bouncedHard: 0, bouncedSoft: 0, openedMachine: 0, clickedMachine: 0, openedUniqueHuman: 0, openedUniqueMachine: 0, clickedUniqueHuman: 0, clickedUniqueMachine: 0 });
    assert.deepEqual(
      welcome.domains.map((d) => d.domain),
      ['dest.test'],
    );
  });

  it('lists the failed event with the upstream reply', async () => {
    const res = await fetch(`${base}/api/events?account=a&type=failed`, { headers: auth });
    const { events } = (await res.json()) as { events: StoredEvent[] };
    assert.equal(events.length, 1);
    assert.equal(events[0]!.recipient, 'bounce@dest.test');
    assert.equal(events[0]!.route, 'main');
    assert.match(events[0]!.reply ?? '', /^550/);
  });

  it('shows the hard bounce on the suppression list and lifts it', async () => {
    const list = (await (await fetch(`${base}/api/suppressions?account=a`, { headers: auth })).json()) as { suppressions: { address: string }[] };
    assert.deepEqual(
      list.suppressions.map((s) => s.address),
      ['bounce@dest.test'],
    );
    const del = await fetch(`${base}/api/suppressions?account=a&address=bounce%40dest.test`, { method: 'DELETE', headers: auth });
    assert.equal(del.status, 200);
    assert.equal(t.relay.suppression.has('a', 'bounce@dest.test'), false);
  });
});
