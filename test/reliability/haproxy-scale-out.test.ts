// Two relays behind HAProxy with the PROXY protocol v2: real client addresses, per-address limits on them,
// one relay killed under load without losing an acknowledged message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScaleOut } from './haproxy-scenario.js';
import { needTool } from '../support/system-tools.js';

test('behind HAProxy (send-proxy-v2) the relays see the client address, limit per client address, and survive losing one relay', { skip: needTool('haproxy'), timeout: 120_000 }, async () => {
  const f = await runScaleOut({ messagesBeforeKill: 300, messagesAfterKill: 300, rate: 100, perAddressLimit: 5 });
  console.log(`haproxy: ${JSON.stringify(f)}`);
  assert.equal(f.addressesSeen, f.sessionsChecked, 'relay log lines show 127.0.0.2 and the client socket port, proxied');
  assert.ok(f.sessionsPerRelay[0] > 0 && f.sessionsPerRelay[1] > 0, 'both relays took sessions');
  assert.ok(f.limitedRefused > 0, 'connections from 127.0.0.2 past the per-address limit are refused 421 4.7.0');
  assert.ok(f.limitedGreeted <= 2 * 5);
  assert.equal(f.otherGreeted, f.otherSent, 'another client address is not limited by 127.0.0.2');
  assert.ok(f.beforeKill.acked > 0);
  assert.equal(f.afterKill.acked, f.afterKill.attempted, `after the kill every message is accepted by the other relay: ${JSON.stringify(f.afterKill.errors)}`);
  assert.deepEqual(f.lost, []);
  assert.ok(f.deliveredBy[0] > 0 && f.deliveredBy[1] > 0);
});
