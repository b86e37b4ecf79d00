// The client's address behind reverse proxies: X-Forwarded-For is believed only from a trusted peer, and read from
// the right, skipping trusted proxies, so a client cannot pose as another by sending the header itself.
import { isIP } from 'node:net';
import { TrustedProxies } from '../../protocol/index.js';

export class ClientAddress {
  private readonly trusted: TrustedProxies | null;

  constructor(trustProxy: readonly string[]) {
    this.trusted = trustProxy.length === 0 ? null : new TrustedProxies(trustProxy);
  }

  of(peer: string, forwardedFor: string | string[] | undefined): string {
    if (this.trusted === null || forwardedFor === undefined || !this.trusted.has(peer)) return peer;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => s.trim());
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.trusted.has(hop)) break;
    }
    return client;
  }
}
