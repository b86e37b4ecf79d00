// The tests' dnsmasq: the bench's helper (bench/servers/dnsmasq.ts), run from wherever the tool table finds it.
// Tests that use it are guarded with { skip: needTool('dnsmasq') }.
import { startDnsmasq as startBenchDnsmasq, type Dnsmasq } from '../../../bench/servers/dnsmasq.js';
import { requireTool } from '../../support/system-tools.js';

export { freeUdpPort, startSilentDns, type Dnsmasq } from '../../../bench/servers/dnsmasq.js';

export function startDnsmasq(records: string[]): Promise<Dnsmasq> {
  return startBenchDnsmasq(records, requireTool('dnsmasq'));
}
