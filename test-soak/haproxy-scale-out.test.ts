// Scale-out soak: HAPROXY_MESSAGES (default 5,000) before and after killing one of two relays behind HAProxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScaleOut } from '../test/reliability/haproxy-scenario.js';
import { needTool } from '../test/support/system-tools.js';

const N = Number(process.env['HAPROXY_MESSAGES'] ?? 5000);

test(`behind HAProxy: ${N} messages, kill -9 of one relay, ${N} more: nothing acknowledged is lost`, { skip: needTool('haproxy'), timeout: 30 * 60_000 }, async () => {
  const f = await runScaleOut({ messagesBeforeKill: N, messagesAfterKill: N, rate: 300, perAddressLimit: 5 });
  console.log(`haproxy-soak: ${JSON.stringify(f)}`);
  assert.equal(f.addressesSeen, f.sessionsChecked);
  assert.ok(f.limitedRefused > 0);
  assert.equal(f.otherGreeted, f.otherSent);
  assert.equal(f.afterKill.acked, f.afterKill.attempted);
  assert.deepEqual(f.lost, []);
});
