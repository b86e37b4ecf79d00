// Which opens and clicks a machine made, not a person: recorded like the others, flagged `machine: true`, counted apart.
// A simple heuristic, stated in docs/tracking.md: a HEAD request (link checkers), a known scanner or proxy user agent
// (security gateways, Apple Mail Privacy Protection's proxy, preview bots), a client address in a scanner's or
// proxy's range (machine-ranges.ts), or a fetch within `windowMs` of acceptance (scanners open every link as the
// message arrives; a person rarely reads that fast).
import type { MachineRanges } from './machine-ranges.js';

const SCANNER_AGENTS =
  /(?:bot\b|crawler|spider|preview|scanner|proofpoint|mimecast|barracuda|safelinks|microsoft office|ms-office|googleimageproxy|yahoomailproxy|symantec|trendmicro|fireeye|curl\/|wget\/|python-requests|go-http-client|java\/|okhttp|headless)/i;
/** Apple Mail Privacy Protection fetches every pixel through its proxy with this bare agent. */
const APPLE_MPP = /^Mozilla\/5\.0$/;

export interface Fetch {
  method: 'GET' | 'HEAD' | 'POST';
  userAgent: string;
  /** The client address (after trusted proxies). */
  client: string;
  time: number;
  acceptedAt: number;
}

export function isMachineFetch(f: Fetch, windowMs: number, ranges: MachineRanges | null = null): boolean {
  if (f.method === 'HEAD') return true;
  if (f.userAgent === '' || SCANNER_AGENTS.test(f.userAgent) || APPLE_MPP.test(f.userAgent.trim())) return true;
  if (ranges !== null && ranges.has(f.client)) return true;
  return f.time - f.acceptedAt < windowMs;
}
