// The system programs some tests drive (real clients, real upstreams, a real browser), how to find each one, and
// the Debian package that installs it. A test that needs one it cannot find is skipped with a one-line reason, so
// `npm test` passes on a machine that has only Node and git; scripts/run-tests.mjs lists those skips at the end.
//
//   test('swaks delivers ...', { skip: needTool('swaks') }, ...)     describe('...', { skip: needTool('chromium') }, ...)
//
// TXRELAY_TEST_HIDE_TOOLS=aiosmtpd,chromium (or =all) makes detection report those tools absent, to try the skips.
import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative } from 'node:path';

/** How a tool is found: a program on PATH (or in an sbin folder), a file, or a module python3 can import. */
type Probe =
  | { kind: 'command'; command: string }
  | { kind: 'file'; path: string }
  | { kind: 'python-module'; module: string; pythons: readonly string[] };

interface SystemTool {
  probe: Probe;
  /** The Debian package that provides it. */
  package: string;
}

const command = (name: string): Probe => ({ kind: 'command', command: name });
const file = (path: string): Probe => ({ kind: 'file', path });
const pythonModule = (module: string, pythons: readonly string[]): Probe => ({ kind: 'python-module', module, pythons });

/** Debian's own python3 first: the python3-* packages install there, whatever python3 comes first on PATH. */
const SYSTEM_PYTHON_FIRST = ['/usr/bin/python3', 'python3'] as const;

export const SYSTEM_TOOLS = {
  python3: { probe: command('python3'), package: 'python3' },
  aiosmtpd: { probe: pythonModule('aiosmtpd', SYSTEM_PYTHON_FIRST), package: 'python3-aiosmtpd' },
  // The python3 on PATH first, as a developer's Jinja2 (pip, pyenv) is the one they expect to compare with.
  jinja2: { probe: pythonModule('jinja2', ['python3', '/usr/bin/python3']), package: 'python3-jinja2' },
  dkim: { probe: pythonModule('dkim', SYSTEM_PYTHON_FIRST), package: 'python3-dkim' },
  requests: { probe: pythonModule('requests', SYSTEM_PYTHON_FIRST), package: 'python3-requests' },
  swaks: { probe: command('swaks'), package: 'swaks' },
  curl: { probe: command('curl'), package: 'curl' },
  script: { probe: command('script'), package: 'util-linux' },
  openssl: { probe: command('openssl'), package: 'openssl' },
  chromium: { probe: command('chromium'), package: 'chromium' },
  haproxy: { probe: command('haproxy'), package: 'haproxy' },
  php: { probe: command('php'), package: 'php-cli' },
  phpmailer: { probe: file('/usr/share/php/libphp-phpmailer/autoload.php'), package: 'libphp-phpmailer' },
  msmtp: { probe: command('msmtp'), package: 'msmtp' },
  'smtp-sink': { probe: file('/usr/sbin/smtp-sink'), package: 'postfix' },
  postfix: { probe: command('postfix'), package: 'postfix' },
  dnsmasq: { probe: command('dnsmasq'), package: 'dnsmasq-base' },
  'redis-server': { probe: command('redis-server'), package: 'redis-server' },
  'systemd-analyze': { probe: command('systemd-analyze'), package: 'systemd' },
} as const satisfies Record<string, SystemTool>;

export type ToolName = keyof typeof SYSTEM_TOOLS;

/** Where programs live on Debian besides PATH: a non-root PATH often lacks the sbin folders (haproxy, dnsmasq). */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findCommand(name: string): string | null {
  if (isAbsolute(name)) return executable(name) ? name : null;
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), ...SBIN];
  for (const dir of dirs) {
    const p = join(dir, name);
    if (executable(p)) return p;
  }
  return null;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The first interpreter that imports `module`, as an absolute path. */
function findPythonWith(module: string, pythons: readonly string[]): string | null {
  for (const candidate of pythons) {
    const python = findCommand(candidate);
    if (python === null) continue;
    const r = spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 20_000 });
    if (r.status === 0) return python;
  }
  return null;
}

function probe(p: Probe): string | null {
  switch (p.kind) {
    case 'command':
      return findCommand(p.command);
    case 'file':
      return exists(p.path) ? p.path : null;
    case 'python-module':
      return findPythonWith(p.module, p.pythons);
  }
}

/** The tools TXRELAY_TEST_HIDE_TOOLS names; an unknown name is an error, so a typo cannot make a check pass. */
function hiddenTools(): ReadonlySet<string> {
  const names = (process.env['TXRELAY_TEST_HIDE_TOOLS'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.includes('all')) return new Set(Object.keys(SYSTEM_TOOLS));
  const unknown = names.filter((n) => !(n in SYSTEM_TOOLS));
  if (unknown.length > 0) throw new Error(`TXRELAY_TEST_HIDE_TOOLS names unknown tools: ${unknown.join(', ')} (known: ${Object.keys(SYSTEM_TOOLS).join(', ')}, all)`);
  return new Set(names);
}

const hidden = hiddenTools();
const found = new Map<ToolName, string | null>();

/**
 * The tool's absolute path (for a python module: the interpreter that imports it), or null when it is missing or
 * hidden. Detected once per process.
 */
export function toolPath(name: ToolName): string | null {
  if (hidden.has(name)) return null;
  let p = found.get(name);
  if (p === undefined) {
    p = probe(SYSTEM_TOOLS[name].probe);
    found.set(name, p);
  }
  return p;
}

/** The tool's path, for code that runs only when needTool() did not skip it; throws when it is missing. */
export function requireTool(name: ToolName): string {
  const p = toolPath(name);
  if (p === null) throw new Error(`${name} is missing: guard the test with { skip: needTool('${name}') }`);
  return p;
}

/**
 * A skip reason naming the missing tools and their packages, e.g. "needs aiosmtpd (apt-get install
 * python3-aiosmtpd)", or false when all are there. Each skip is recorded for the runner's closing summary.
 */
export function needTool(...names: ToolName[]): string | false {
  const missing = names.filter((n) => toolPath(n) === null);
  if (missing.length === 0) return false;
  const packages = [...new Set(missing.map((n) => SYSTEM_TOOLS[n].package))];
  recordSkip(missing);
  return `needs ${missing.join(', ')} (apt-get install ${packages.join(' ')})`;
}

/**
 * Appends one JSON line per missing tool to <TXRELAY_TEST_SKIP_LOG>/<pid>.jsonl, which scripts/run-tests.mjs sets
 * and reads after the run (one file per test process, so concurrent files never interleave their lines).
 */
let skips = 0;

function recordSkip(missing: ToolName[]): void {
  const dir = process.env['TXRELAY_TEST_SKIP_LOG'];
  if (!dir) return;
  const testFile = process.argv[1] ? relative(process.cwd(), process.argv[1]) : '?';
  const skip = `${process.pid}.${++skips}`; // one skipped test or suite, however many tools it lacks
  const lines = missing.map((tool) => JSON.stringify({ skip, tool, package: SYSTEM_TOOLS[tool].package, file: testFile }) + '\n');
  appendFileSync(join(dir, `${process.pid}.jsonl`), lines.join(''));
}
