// The fleet-sized case of the mx route at full size (issue 15 §3): 20,000 messages to 200 domains through dnsmasq,
// 20 MX hosts, 4 slow, 1 down with a second MX for its domains. test/delivery/mx-fleet.test.ts runs 2,000 in npm test.
import { test } from 'node:test';
import { needTool } from '../test/support/system-tools.js';
import { checkFleet, fleetSummary } from '../test/delivery/mx/fleet-checks.js';
import { runFleetScenario } from '../test/delivery/mx/fleet-scenario.js';

const MESSAGES = Number(process.env['FLEET_MESSAGES'] ?? 20_000);
const CAP = 3;

test(`fleet: ${MESSAGES} messages to 200 domains on 20 MX hosts (4 slow, 1 down): nothing lost, caps respected at the receivers, one delivered event each`, { skip: needTool('dnsmasq'), timeout: 1_800_000 }, async () => {
  const f = await runFleetScenario({ messages: MESSAGES, maxConnectionsPerDestination: CAP, slowHosts: 4, slowMs: 50, drainMs: 900_000, progress: (l) => console.log(l) });
  console.log(fleetSummary(f, MESSAGES));
  checkFleet(f, MESSAGES, CAP);
});
