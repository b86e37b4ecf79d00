// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Node 20's runner takes no globs, so the files are listed here.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** Node's --test-timeout (20.11+, 21.2+); in Node 20 it bounds each test file as a whole, so no file can hang. */
function testTimeoutSupported() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 21 || (major === 21 && minor >= 2) || (major === 20 && minor >= 11);
}

/** The skips test/support/system-tools.ts recorded (one JSON line per missing tool per skipped test or suite). */
function readSkips(dir) {
  const skips = [];
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line !== '') skips.push(JSON.parse(line));
  }
  return skips;
}

/** Which tests were skipped for lack of which tool, and the one apt-get line that installs them all. */
function printSkipSummary(skips) {
  if (skips.length === 0) return;
  const byTool = new Map();
  for (const s of skips) {
    const t = byTool.get(s.tool) ?? { package: s.package, count: 0, files: new Set() };
    t.count++;
    t.files.add(s.file.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
    byTool.set(s.tool, t);
  }
  const tools = [...byTool.keys()].sort();
  const width = Math.max(...tools.map((t) => t.length));
  const pkgWidth = Math.max(...tools.map((t) => byTool.get(t).package.length));
  const skipped = new Set(skips.map((s) => s.skip)).size;
  console.log(`\nskipped: ${skipped} tests or suites need a system tool this machine lacks ("# needs ..." above):`);
  for (const tool of tools) {
    const t = byTool.get(tool);
    console.log(`  ${tool.padEnd(width)}  ${t.package.padEnd(pkgWidth)}  ${String(t.count).padStart(2)}  ${[...t.files].sort().join(', ')}`);
  }
  const packages = [...new Set(tools.map((t) => byTool.get(t).package))].sort();
  console.log(`to run them all, install (as root): apt-get install -y ${packages.join(' ')}`);
}

// `--soak` runs the long tests (dist/soak/**/*.test.js, minutes each) instead of the CI suite.
const soak = process.argv.includes('--soak');
const filter = process.argv.slice(2).filter((a) => a !== '--soak');
let files = soak ? collect('dist/test-soak', []) : collect('dist/test', []);
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`run-tests: no test files found under ${soak ? 'dist/test-soak' : 'dist/test'}`);
  process.exit(1);
}
// A file slower than this is cut and fails: the slowest CI file takes well under a minute, a soak file minutes.
const fileTimeoutMs = soak ? 3_600_000 : 300_000;
const timeout = testTimeoutSupported() ? [`--test-timeout=${fileTimeoutMs}`] : [];
if (timeout.length === 0) console.warn(`run-tests: node ${process.version} has no --test-timeout; a hanging test file is not cut`);
const skipLog = mkdtempSync(join(tmpdir(), 'txrelay-test-skips-'));
let status;
try {
  const args = ['--test', '--test-concurrency=2', ...timeout, '--test-reporter=spec', ...files];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TXRELAY_TEST_SKIP_LOG: skipLog } });
  status = r.status ?? 1;
  printSkipSummary(readSkips(skipLog));
} finally {
  rmSync(skipLog, { recursive: true, force: true });
}
process.exit(status);
