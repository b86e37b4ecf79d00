// The first start a person sees (`npm start` at a terminal): a banner whose commands work as printed, and
// pino-pretty lines; JSON lines when stdout is a pipe (systemd, log shippers); LOG_FORMAT forces either.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, childEnv, startRelayCli, type RelayCli } from './relay-cli.js';
import { removeDir, waitForSubject } from './relay-harness.js';
import { needTool } from '../support/system-tools.js';

/** Runs a shell command exactly as a person would paste it; bounded by a timeout. */
function runShell(script: string, timeoutMs = 20_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr: stderr + (status === null ? `\n(killed after ${timeoutMs} ms)` : '') });
    });
  });
}

/** The indented command block of the banner that starts with `first` (continuation lines end with a backslash). */
function commandBlock(banner: string, first: string): string {
  const lines = banner.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(first));
  assert.ok(start >= 0, `no "${first}" command in the banner:\n${banner}`);
  const out = [lines[start]!];
  for (let i = start; lines[i]!.endsWith('\\'); i++) out.push(lines[i + 1]!);
  return out.join('\n');
}

describe('first start with LOG_FORMAT=pretty', { concurrency: true }, () => {
  let relay: RelayCli;
  let banner = '';
  before(async () => {
    relay = await startRelayCli({ env: { LOG_FORMAT: 'pretty' } });
    banner = (await relay.waitForStdout(/\ntxrelay is ready[\s\S]*Stop with Ctrl-C\.\n/, 'start banner'))[0];
  });
  after(async () => {
    await relay.stop();
    await removeDir(relay.dataDir);
  });

  test('the banner names the port, the demo key and its file, the outbox, the dashboard and the admin token file', async () => {
    const key = await relay.demoKey();
    const port = /listening \{"port":(\d+)/.exec(relay.stdout())?.[1];
    const adminPort = /admin listening \{"host":"127\.0\.0\.1","port":(\d+)/.exec(relay.stdout())?.[1];
    assert.ok(port && adminPort, relay.stdout());
    assert.match(banner, new RegExp(`SMTP +port ${port} on 0\\.0\\.0\\.0 `));
    assert.match(banner, new RegExp(`API key +${key} \\(demo account; also in ${join(relay.dataDir, 'demo-api-key')}\\)`));
    assert.ok(banner.includes(`Outbox     ${join(relay.dataDir, 'outbox')} `), banner);
    assert.ok(banner.includes(`Dashboard  http://127.0.0.1:${adminPort}/ (admin token: ${join(relay.dataDir, 'admin-token')})`), banner);
    assert.ok(banner.includes(`self-signed certificate ${join(relay.dataDir, 'tls', 'cert.pem')}`), banner);
    // The dashboard answers at that URL with the token from that file.
    const token = (await readFile(join(relay.dataDir, 'admin-token'), 'utf8')).trim();
    const res = await fetch(`http://127.0.0.1:${adminPort}/api/stats?account=demo`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
    assert.equal(res.status, 200);
  });

  test('log lines are pino-pretty lines, not JSON', () => {
    const logLines = relay
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('['));
    assert.ok(logLines.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening \{"port":\d+,"host":"0\.0\.0\.0"\}$/.test(l)), relay.stdout());
    assert.ok(logLines.some((l) => /^\[[\d:.]+\] WARN: no certificate configured/.test(l)), relay.stdout());
    for (const l of relay.stdout().split('\n')) assert.ok(!l.startsWith('{'), `a JSON line in pretty mode: ${l}`);
  });

  test('the printed swaks command works as printed', { skip: needTool('swaks') }, async () => {
    const r = await runShell(commandBlock(banner, 'swaks '));
    assert.equal(r.status, 0, `swaks failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /<~ {1,2}250 2\.0\.0 Ok: queued as /);
    await waitForSubject(join(relay.dataDir, 'outbox'), 'Hello from txrelay');
  });

  test('the printed curl command works as printed', { skip: needTool('curl') }, async () => {
    const r = await runShell(commandBlock(banner, 'printf '));
    assert.equal(r.status, 0, `curl failed:\n${r.stdout}\n${r.stderr}`);
    await waitForSubject(join(relay.dataDir, 'outbox'), 'Hello from curl');
  });
});

test('with stdout a pipe and no LOG_FORMAT, every line is a JSON object and there is no banner', async () => {
  const relay = await startRelayCli();
  try {
    await relay.waitForStdout(/"msg":"admin listening"[^\n]*\n/, 'admin listening line');
    const lines = relay.stdout().split('\n').filter((l) => l !== '');
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l) as unknown, `not JSON: ${l}`);
    assert.ok(lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'listening'));
    assert.doesNotMatch(relay.stdout(), /txrelay is ready/);
    assert.equal(await relay.stop(), 0);
    assert.equal(JSON.parse(relay.stdout().trim().split('\n').pop()!).msg, 'stopped');
  } finally {
    await relay.stop();
    await removeDir(relay.dataDir);
  }
});

test('LOG_FORMAT=json keeps JSON lines even at a terminal', { skip: needTool('script') }, async () => {
  const relay = await startRelayCli({
    env: { LOG_FORMAT: 'json' },
    command: (data) => ['script', '-qfec', `${process.execPath} ${CLI} --data ${data} --ports 0 --admin-port 0`, '/dev/null'],
  });
  try {
    await relay.waitForStdout(/"msg":"admin listening"[^\n]*\n/, 'admin listening line');
    assert.doesNotMatch(relay.stdout(), /txrelay is ready/);
  } finally {
    await relay.stop();
    await removeDir(relay.dataDir);
  }
});

test('a LOG_FORMAT other than json or pretty is refused at start', () => {
  const bad = spawnSync(process.execPath, [CLI, '--data', '/nonexistent/never-created'], { encoding: 'utf8', env: childEnv({ LOG_FORMAT: 'yaml' }), timeout: 10_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /LOG_FORMAT must be "json" or "pretty", got "yaml"/);
});

test('at a real terminal (script), the relay prints the banner and pretty lines without LOG_FORMAT', { skip: needTool('script') }, async () => {
  const relay = await startRelayCli({
    command: (data) => ['script', '-qfec', `${process.execPath} ${CLI} --data ${data} --ports 0 --admin-port 0`, '/dev/null'],
  });
  try {
    await relay.waitForStdout(/Stop with Ctrl-C\./, 'start banner');
    const key = await relay.demoKey();
    assert.ok(relay.stdout().includes(`API key    ${key}`), relay.stdout());
    // Colour codes may surround the level; the time stamp and message are plain.
    assert.match(relay.stdout(), /\[\d\d:\d\d:\d\d\.\d{3}\] \S*INFO\S*: \S*listening/);
    assert.doesNotMatch(relay.stdout(), /^\{"level"/m);
  } finally {
    await relay.stop();
    await removeDir(relay.dataDir);
  }
});

test('--ports and --admin-port are refused beside --config (the file names its own ports)', () => {
  const r = spawnSync(process.execPath, [CLI, '--config', 'examples/relay.json', '--ports', '2525'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--ports and --admin-port apply to the embedded default/);
  const bad = spawnSync(process.execPath, [CLI, '--ports', '25,x'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--ports takes port numbers separated by commas, got "25,x"/);
});
