// For the `mx` route: MX hosts with their addresses, MTA-STS policies, each destination's connections and pause, and
// the pool of source addresses.
export { MxResolver, type MxResolverOptions, type MxResolution, type MxHost, type IpFamily, type DnsQueries } from './mx-resolver.js';
export {
  MtaStsResolver,
  httpsPolicyFetch,
  mxAllowed,
  parseMtaStsPolicy,
  parseMtaStsRecord,
  type MtaStsResolverOptions,
  type MtaStsPolicy,
  type MtaStsMode,
  type MtaStsLookup,
  type MtaStsFetch,
  type HttpsPolicyFetchOptions,
} from './mta-sts.js';
export { TtlCache, type Clock } from './ttl-cache.js';
export { Destination, DestinationPausedError, type DestinationOptions, type DestinationConnection, type DestinationState } from './destination.js';
export { LocalAddressPool } from './local-address-pool.js';
