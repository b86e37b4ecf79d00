// The link rewriter's property over 10^5 random documents (issue 18; npm test runs 1,000: test/tracking/link-rewriter.test.ts).
// TRACKING_FUZZ_RUNS overrides the count, TRACKING_FUZZ_SEED replays a run.
import { test } from 'node:test';
import { checkRewriteProperty } from '../test/tracking/rewrite-property.js';

const RUNS = Number(process.env['TRACKING_FUZZ_RUNS'] ?? 100_000);
const SEED = process.env['TRACKING_FUZZ_SEED'] === undefined ? undefined : Number(process.env['TRACKING_FUZZ_SEED']);

test(`tracking rewrite (soak, ${RUNS} documents): the output parses to the same tree apart from the rewritten hrefs`, { timeout: 30 * 60_000 }, () => {
  const r = checkRewriteProperty(RUNS, SEED);
  console.log(`tracking-fuzz: ${r.runs} documents in ${r.seconds.toFixed(1)} s`);
});
