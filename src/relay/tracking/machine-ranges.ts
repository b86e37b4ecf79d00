// Address ranges whose fetches are machines' (privacy proxies, mail security scanners), checked with node:net's
// BlockList. The built-in list is small and written by hand: the providers publish their lists (Apple's Private Relay
// egress CSV, Microsoft's Office 365 endpoints, the gateways' support pages) and change them, and the relay has no
// network access to follow them. Operators add the current lists with `publicHttp.tracking.machineRanges`, or turn
// this one off with `builtInMachineRanges: false` (docs/tracking.md says what each range is and what it costs).
import { BlockList, isIP } from 'node:net';

/** A range of the built-in list and whose network it is. */
export interface MachineRange {
  cidr: string;
  owner: string;
}

export const BUILT_IN_MACHINE_RANGES: readonly MachineRange[] = [
  // Apple's own network (AS714): Mail Privacy Protection's prefetching proxies fetch every image of a message as it
  // arrives. A person browsing from inside Apple's network is flagged too; that is rare next to MPP's volume.
  { cidr: '17.0.0.0/8', owner: 'Apple (Mail Privacy Protection proxies)' },
  // Exchange Online Protection, whose Safe Links and attachment scanning follow links (Microsoft's published EOP ranges).
  { cidr: '40.92.0.0/15', owner: 'Microsoft Exchange Online Protection' },
  { cidr: '40.107.0.0/16', owner: 'Microsoft Exchange Online Protection' },
  { cidr: '52.100.0.0/14', owner: 'Microsoft Exchange Online Protection' },
  { cidr: '104.47.0.0/17', owner: 'Microsoft Exchange Online Protection' },
  { cidr: '2a01:111:f400::/48', owner: 'Microsoft Exchange Online Protection' },
  { cidr: '2a01:111:f403::/48', owner: 'Microsoft Exchange Online Protection' },
  // Mail security gateways that rewrite and pre-fetch links (URL Defense, URL Protect, Link Protection).
  { cidr: '67.231.144.0/20', owner: 'Proofpoint' },
  { cidr: '148.163.128.0/19', owner: 'Proofpoint' },
  { cidr: '205.139.110.0/24', owner: 'Mimecast (US)' },
  { cidr: '207.211.30.0/24', owner: 'Mimecast (US)' },
  { cidr: '64.235.144.0/20', owner: 'Barracuda Email Security Service' },
  { cidr: '209.222.80.0/21', owner: 'Barracuda Email Security Service' },
];

export class MachineRanges {
  private readonly list = new BlockList();
  readonly size: number;

  /** `extra`: "address" or "address/prefix" strings, as validated by the configuration (checkAddressOrCidr). */
  constructor(extra: readonly string[] = [], builtIn = true) {
    const all = [...(builtIn ? BUILT_IN_MACHINE_RANGES.map((r) => r.cidr) : []), ...extra];
    for (const range of all) {
      const [address, prefix] = range.split('/') as [string, string | undefined];
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
    this.size = all.length;
  }

  /** Whether the client address (IPv4, IPv6 or IPv4-mapped IPv6) is in a range; false for anything else. */
  has(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}
