// The machine-range part of the machine-fetch heuristic (issue 18): the built-in list and operator CIDRs, IPv4, IPv6
// and IPv4-mapped IPv6 client addresses, checked with node:net BlockList.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILT_IN_MACHINE_RANGES, MachineRanges, isMachineFetch } from '../../src/relay/tracking/index.js';
import { validateConfig } from '../../src/relay/config/index.js';

test('the built-in list: Apple MPP, scanners; a residential address is not in it', () => {
  const r = new MachineRanges();
  assert.equal(r.size, BUILT_IN_MACHINE_RANGES.length);
  assert.equal(r.has('17.58.1.2'), true, 'Apple (MPP proxies)');
  assert.equal(r.has('::ffff:17.58.1.2'), true, 'IPv4-mapped, as a dual-stack socket reports it');
  assert.equal(r.has('40.107.22.1'), true, 'Exchange Online Protection');
  assert.equal(r.has('2a01:111:f400:7e00::1'), true, 'Exchange Online Protection, IPv6');
  assert.equal(r.has('148.163.140.9'), true, 'Proofpoint');
  assert.equal(r.has('198.51.100.7'), false);
  assert.equal(r.has('2001:db8::1'), false);
  assert.equal(r.has('not an address'), false);
  assert.equal(r.has(''), false);
});

test('every built-in range is a valid CIDR the configuration would accept', () => {
  const json = { publicHttp: { port: 0, tracking: { machineRanges: BUILT_IN_MACHINE_RANGES.map((m) => m.cidr) } }, accounts: [{ id: 'a', apiKeys: [], routes: { o: { type: 'file', path: 'o' } } }] };
  assert.deepEqual(validateConfig(json, '/tmp').errors, []);
});

test("operator ranges are added to the built-in list, or replace it when it is off", () => {
  const both = new MachineRanges(['203.0.113.0/24', '2001:db8:5::/48', '192.0.2.9']);
  assert.equal(both.has('203.0.113.200'), true);
  assert.equal(both.has('2001:db8:5:1::9'), true);
  assert.equal(both.has('192.0.2.9'), true);
  assert.equal(both.has('192.0.2.10'), false);
  assert.equal(both.has('17.1.1.1'), true);
  const own = new MachineRanges(['203.0.113.0/24'], false);
  assert.equal(own.has('17.1.1.1'), false);
  assert.equal(own.has('203.0.113.1'), true);
});

test('a fetch from a listed range is machine even from a browser, long after acceptance', () => {
  const browser = { method: 'GET' as const, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36', time: 10 * 86_400_000, acceptedAt: 0 };
  const ranges = new MachineRanges(['203.0.113.0/24'], false);
  assert.equal(isMachineFetch({ ...browser, client: '203.0.113.5' }, 10_000, ranges), true);
  assert.equal(isMachineFetch({ ...browser, client: '198.51.100.5' }, 10_000, ranges), false);
  assert.equal(isMachineFetch({ ...browser, client: '203.0.113.5' }, 10_000, null), false, 'without ranges, only the other signals');
});
