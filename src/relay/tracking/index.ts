// Open and click tracking (issue 18): the link rewriter, signed tracking tokens, the per-message link record, the routes.
export { rewriteHtml, findTrackedLinks, pixelTag, type RewriteOptions, type RewriteResult, type TrackedLinks } from './link-rewriter.js';
export { TrackingTokens, MAX_TRACKING_TOKEN_LENGTH, type TrackingClaim, type TrackingKind } from './tracking-token.js';
export { TrackingStore, TRACKING_DIR, type TrackingRecord, type SweepResult } from './tracking-store.js';
export { RecordSweeper, type RecordSweeperOptions } from './record-sweeper.js';
export { trackingRoutes, PIXEL_GIF, type TrackingRouteOptions } from './tracking-route.js';
export { isMachineFetch } from './machine-fetch.js';
export { MachineRanges, BUILT_IN_MACHINE_RANGES, type MachineRange } from './machine-ranges.js';
export { resolveTracking, parseTrackRequest, type MessageTracking, type TrackRequest } from './tracking-settings.js';
