// What the fleet case must show, for the CI-sized test and the soak: nothing lost, caps respected at the receivers,
// one delivered event per recipient.
import assert from 'node:assert/strict';
import type { FleetFigures } from './fleet-scenario.js';

export function checkFleet(f: FleetFigures, messages: number, cap: number): void {
  assert.deepEqual(f.loadErrors, {}, 'every message accepted');
  assert.equal(f.accepted, messages);
  assert.equal(f.acceptedRecipients.length, messages, 'one accepted event per recipient');
  assert.equal(f.spoolPending, 0, 'the spool drained: every recipient delivered (the down host has a second MX)');
  // Nothing lost, nothing doubled: every accepted recipient arrived at a receiver exactly once.
  const received = new Map<string, number>();
  for (const r of f.report.recipients) received.set(r, (received.get(r) ?? 0) + 1);
  const missing = f.acceptedRecipients.filter((r) => !received.has(r));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} accepted recipients never arrived`);
  const doubled = [...received].filter(([, n]) => n > 1);
  assert.deepEqual(doubled.slice(0, 5), [], `${doubled.length} recipients arrived more than once`);
  assert.equal(f.report.recipients.length, messages);
  // Events complete: exactly one delivered event per recipient, naming the recipient's destination; nothing failed.
  const badEvents = f.acceptedRecipients.filter((r) => f.deliveredEvents.get(r) !== 1);
  assert.deepEqual(badEvents.slice(0, 5), [], `${badEvents.length} recipients without exactly one delivered event`);
  assert.equal(f.eventTypes['delivered'], messages);
  assert.equal(f.eventTypes['failed'] ?? 0, 0);
  for (const [r, d] of f.deliveredDestinations) assert.ok(f.destinations.has(d), `delivered event of ${r} names destination ${JSON.stringify(d)}`);
  // Every destination's connection cap, as measured at the receivers; every destination was used.
  for (const [d, n] of Object.entries(f.report.maxConcurrentByDestination)) assert.ok(n <= cap, `destination ${d}: ${n} connections at once, cap ${cap}`);
  assert.equal(Object.keys(f.report.maxConcurrentByDestination).length, f.destinations.size);
  // Per host: at most the caps of the destinations it serves (the backup host serves two).
  for (const h of f.report.hosts) {
    const serving = [...f.destinations.values()].filter((addresses) => addresses.includes(h.address)).length;
    assert.ok(h.maxConcurrent <= cap * serving, `${h.address}: ${h.maxConcurrent} connections at once, ${serving} destination(s) of cap ${cap}`);
  }
}

/** One line of figures for the test's output. */
export function fleetSummary(f: FleetFigures, messages: number): string {
  const maxDest = Math.max(...Object.values(f.report.maxConcurrentByDestination));
  const connections = f.report.hosts.reduce((a, h) => a + h.connections, 0);
  return (
    `fleet: ${messages} messages, ${f.destinations.size} destinations: accepted in ${f.acceptSeconds.toFixed(1)} s, all delivered ` +
    `${f.totalSeconds.toFixed(1)} s after the first (${(messages / f.totalSeconds).toFixed(0)} msgs/s end to end), ` +
    `${connections} connections, most at once per destination ${maxDest}, events ${JSON.stringify(f.eventTypes)}`
  );
}
