// The fleet-sized case of the mx route, scaled down for npm test (2,000 messages; test-soak/mx-fleet.test.ts runs
// the full 20,000): 200 domains through dnsmasq, 20 MX hosts, 4 slow, 1 down with a second MX for its domains.
import { test } from 'node:test';
import { needTool } from '../support/system-tools.js';
import { checkFleet, fleetSummary } from './mx/fleet-checks.js';
import { runFleetScenario } from './mx/fleet-scenario.js';

const MESSAGES = 2_000;
const CAP = 3;

test(`fleet: ${MESSAGES} messages to 200 domains on 20 MX hosts (4 slow, 1 down): nothing lost, caps respected at the receivers, one delivered event each`, { skip: needTool('dnsmasq'), timeout: 120_000 }, async () => {
  const f = await runFleetScenario({ messages: MESSAGES, maxConnectionsPerDestination: CAP, slowHosts: 4, slowMs: 20, drainMs: 90_000 });
  console.log(fleetSummary(f, MESSAGES));
  checkFleet(f, MESSAGES, CAP);
});
