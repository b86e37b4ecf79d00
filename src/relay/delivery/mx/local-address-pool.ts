// The `mx` route's source addresses (`localAddresses`: a small pool of sending IPs), used in turn, one per
// connection. A connection to an IPv6 MX address can only come from an IPv6 source and the other way round, so the
// turn skips the addresses of the other family; an empty pool leaves the choice to the system.
import { isIP } from 'node:net';

export class LocalAddressPool {
  private cursor = 0;

  constructor(private readonly addresses: readonly string[]) {}

  /**
   * The source address for a connection to `remote`, the next of the pool in its family: null when the pool is
   * empty (the system's choice), or an error string when the pool has no address of that family.
   */
  next(remote: string): { localAddress: string | null } | { error: string } {
    const n = this.addresses.length;
    if (n === 0) return { localAddress: null };
    const family = isIP(remote);
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const candidate = this.addresses[at]!;
      if (isIP(candidate) !== family) continue;
      this.cursor = (at + 1) % n;
      return { localAddress: candidate };
    }
    return { error: `localAddresses has no IPv${family} address to connect to ${remote} from` };
  }
}
