// The system-tool registry, each case in a fresh node process with its own environment: a hidden tool reads as
// missing with its Debian package, skips are recorded for the runner's summary, and a misspelt name is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MODULE = new URL('./system-tools.js', import.meta.url).href;

/** Runs `code` with the module imported as `t` and returns what it printed as JSON. */
function inChild(env: Record<string, string>, code: string): { status: number | null; value: unknown; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as t from ${JSON.stringify(MODULE)}; console.log(JSON.stringify(${code}));`], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, TXRELAY_TEST_SKIP_LOG: '', TXRELAY_TEST_HIDE_TOOLS: '', ...env },
  });
  return { status: r.status, value: r.status === 0 ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

test('a hidden tool is missing: the skip reason names it and the Debian package to install', () => {
  const r = inChild({ TXRELAY_TEST_HIDE_TOOLS: 'aiosmtpd, php,phpmailer' }, "[t.needTool('aiosmtpd'), t.needTool('php', 'phpmailer'), t.toolPath('aiosmtpd')]");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.value, ['needs aiosmtpd (apt-get install python3-aiosmtpd)', 'needs php, phpmailer (apt-get install php-cli libphp-phpmailer)', null]);
});

test('TXRELAY_TEST_HIDE_TOOLS=all hides every tool in the registry', () => {
  const r = inChild({ TXRELAY_TEST_HIDE_TOOLS: 'all' }, 'Object.keys(t.SYSTEM_TOOLS).filter((n) => t.toolPath(n) !== null)');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.value, []);
});

test('a misspelt name in TXRELAY_TEST_HIDE_TOOLS is refused, so a check cannot pass by a typo', () => {
  const r = inChild({ TXRELAY_TEST_HIDE_TOOLS: 'swaks,chromiun' }, 'null');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /TXRELAY_TEST_HIDE_TOOLS names unknown tools: chromiun/);
});

test('a command is found on PATH as an executable file, not as a plain file', () => {
  const bin = mkdtempSync(join(tmpdir(), 'txrelay-tools-'));
  try {
    writeFileSync(join(bin, 'swaks'), '#!/bin/sh\n');
    chmodSync(join(bin, 'swaks'), 0o755);
    writeFileSync(join(bin, 'msmtp'), 'not a program\n');
    const r = inChild({ PATH: bin }, "[t.toolPath('swaks'), t.needTool('swaks'), t.toolPath('msmtp')]");
    assert.equal(r.status, 0, r.stderr);
    const [swaks, skip, msmtp] = r.value as [string, string | false, string | null];
    assert.equal(swaks, join(bin, 'swaks'));
    assert.equal(skip, false);
    assert.notEqual(msmtp, join(bin, 'msmtp'));
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test('each skip is recorded for the run summary: one id per skipped test, one line per missing tool', () => {
  const log = mkdtempSync(join(tmpdir(), 'txrelay-skips-'));
  try {
    const r = inChild({ TXRELAY_TEST_SKIP_LOG: log, TXRELAY_TEST_HIDE_TOOLS: 'php,phpmailer,swaks' }, "[t.needTool('php', 'phpmailer'), t.needTool('swaks')]");
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(log);
    assert.equal(files.length, 1);
    const lines = readFileSync(join(log, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { skip: string; tool: string; package: string });
    assert.deepEqual(lines.map((l) => [l.tool, l.package]), [['php', 'php-cli'], ['phpmailer', 'libphp-phpmailer'], ['swaks', 'swaks']]);
    assert.equal(new Set(lines.map((l) => l.skip)).size, 2);
  } finally {
    rmSync(log, { recursive: true, force: true });
  }
});
