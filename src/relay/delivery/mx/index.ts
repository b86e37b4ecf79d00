// Destination resolution for the `mx` route: MX hosts with their addresses, and MTA-STS policies.
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
