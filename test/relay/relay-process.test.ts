// The relay as operators run it: the CLI process, SIGHUP reload, SIGTERM, restart with a full spool, full disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { embeddedDefaultConfig } from '../../src/relay/config-default.js';
import { startRelay } from '../../src/relay/main.js';
import { KEY_B, baseConfig, buildConfig, readOutbox, rawOutbox, removeDir, sendWithNodemailer, startTestRelay } from './relay-harness.js';

const cli = resolve('dist/src/cli.js');

/** A relay child process whose JSON log lines can be awaited; a wait ends at once, with stderr, if it exits. */
class RelayProcess {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void; reject: (err: Error) => void }[] = [];
  readonly exited: Promise<number | null>;
  private stderr = '';
  private gone: Error | null = null;

  constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (c: Buffer) => {
      if (this.stderr.length < 65536) this.stderr += c.toString();
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      this.lines.push(obj);
      this.waiters = this.waiters.filter((w) => (w.pred(obj) ? (w.resolve(obj), false) : true));
    });
    this.exited = new Promise((r) => {
      // 'close' comes after stdout and stderr are read to the end, so no log line or error text is missed.
      child.on('close', (code, signal) => {
        this.gone = new Error(`relay exited (${code ?? signal}); stderr: ${this.stderr.slice(0, 2000)}`);
        for (const w of this.waiters.splice(0)) w.reject(this.gone);
        r(code);
      });
      child.on('error', (err) => (this.stderr += `spawn failed: ${err.message}\n`));
    });
  }

  waitFor(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    if (this.gone) return Promise.reject(new Error(`no log line "${what}": ${this.gone.message}`));
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line "${what}" within ${timeoutMs} ms; stderr: ${this.stderr.slice(0, 2000)}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (l) => (clearTimeout(timer), resolveLine(l)),
        reject: (err) => (clearTimeout(timer), reject(new Error(`no log line "${what}": ${err.message}`))),
      });
    });
  }
}

function spawnRelay(args: string[]): RelayProcess {
  return new RelayProcess(spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } }));
}

test('SIGHUP reloads accounts without dropping the listener, refuses a bad configuration and keeps the old one; SIGTERM exits 0', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-proc-'));
  const file = join(dir, 'relay.json');
  const json = baseConfig(dir);
  json['logLevel'] = 'info';
  const accountB = json.accounts.pop()!;
  await writeFile(file, JSON.stringify(json));
  const p = spawnRelay(['--config', file]);
  try {
    const listening = await p.waitFor((l) => l['msg'] === 'listening', 'listening');
    const port = listening['port'] as number;
    assert.equal((await sendWithNodemailer(port, { from: 'a@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>' }, { key: KEY_B })).code, 535);

    json.accounts.push(accountB);
    await writeFile(file, JSON.stringify(json));
    p.child.kill('SIGHUP');
    await p.waitFor((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('configuration reloaded'), 'reloaded');
    assert.equal((await sendWithNodemailer(port, { from: 'a@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>' }, { key: KEY_B })).code, 250);

    await writeFile(file, JSON.stringify({ ...json, listeners: 'not a list', bogus: 1 }));
    p.child.kill('SIGHUP');
    const refused = await p.waitFor((l) => l['msg'] === 'configuration reload refused; keeping the running configuration', 'refused');
    assert.match(String(refused['err']), /\$\.listeners/);
    assert.match(String(refused['err']), /\$\.bogus/);
    assert.equal((await sendWithNodemailer(port, { from: 'a@example.com', to: 'x@example.net', subject: 's', html: '<p>x</p>' }, { key: KEY_B })).code, 250);

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.ok(p.lines.some((l) => l['msg'] === 'stopped'));
  } finally {
    p.child.kill('SIGKILL');
    await removeDir(dir);
  }
});

test('a bad configuration is refused at start with every JSON path and reason', () => {
  const r = spawnSync(process.execPath, [cli, 'check-config', '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /not valid JSON/);
});

test('the relay refuses to start on a configuration with errors, naming each field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-bad-'));
  const file = join(dir, 'relay.json');
  await writeFile(file, JSON.stringify({ listeners: [{ port: 70000 }], accounts: [{ id: 'x' }], typo: true }));
  const r = spawnSync(process.execPath, [cli, '--config', file], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\$\.listeners\[0\]\.port/);
  assert.match(r.stderr, /\$\.typo/);
  assert.match(r.stderr, /\$\.accounts\[0\]/);
  await removeDir(dir);
});

test('messages still in the spool are delivered after a restart', async () => {
  // First run: the route's folder is replaced by a file after start, so delivery is deferred and the message stays spooled.
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-restart-'));
  const first = await startTestRelay((json) => {
    (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'file', path: join(dir, 'blocked') };
  }, dir);
  await writeFile(join(dir, 'blocked'), 'not a folder');
  const r = await sendWithNodemailer(first.port, { from: 'a@example.com', to: ['r1@example.net', 'r2@example.net'], subject: 'survives restart', html: '<p>x</p>' });
  assert.equal(r.code, 250, r.response);
  await first.stop();
  assert.deepEqual(await rawOutbox(join(dir, 'out-main')), []);

  const second = await startTestRelay(undefined, dir);
  try {
    const mails = await readOutbox(join(dir, 'out-main'), 2);
    assert.deepEqual(mails.map((m) => m.subject), ['survives restart', 'survives restart']);
    assert.deepEqual(mails.map((m) => (m.to as { value: { address: string }[] }).value[0]!.address).sort(), ['r1@example.net', 'r2@example.net']);
  } finally {
    await second.stop();
    await removeDir(dir);
  }
});

test('a full disk answers 451 4.3.0, keeps serving, and loses nothing that was acknowledged', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-full-'));
  const data = join(dir, 'data');
  await mkdir(data);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=192k', 'tmpfs', data], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${mount.stderr.trim()}`);
    await removeDir(dir);
    return;
  }
  try {
    // The outbox lives outside the tiny disk, so only the spool fills up; blocked so nothing drains the spool.
    const relayDir = data;
    const patch = (json: ReturnType<typeof baseConfig>): void => {
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'file', path: join(dir, 'blocked') };
    };
    const t1 = await startTestRelay(patch, relayDir);
    await writeFile(join(dir, 'blocked'), 'x');
    const big = '<p>' + 'x'.repeat(20_000) + '</p>';
    const acked: string[] = [];
    let full = '';
    for (let i = 0; i < 40 && full === ''; i++) {
      const r = await sendWithNodemailer(t1.port, { from: 'a@example.com', to: `n${i}@example.net`, subject: `m${i}`, html: big });
      if (r.code === 250) acked.push(`m${i}`);
      else full = r.response;
    }
    assert.match(full, /^451 4\.3\.0/);
    assert.ok(acked.length > 0);
    // Still serving: a small message gets a clear answer (451 while full), not a hang or a dropped connection.
    const small = await sendWithNodemailer(t1.port, { from: 'a@example.com', to: 'small@example.net', subject: 'small', html: '<p>s</p>' });
    assert.ok(small.code === 250 || small.code === 451, small.response);
    if (small.code === 250) acked.push('small');
    await t1.stop();

    // Space returns (route unblocked, outbox on the big disk): every acknowledged message is delivered, nothing else.
    const t2 = await startTestRelay((json) => {
      (json.accounts[0]!['routes'] as Record<string, unknown>)['main'] = { type: 'file', path: join(dir, 'outbox') };
    }, relayDir);
    try {
      const mails = await readOutbox(join(dir, 'outbox'), acked.length);
      assert.deepEqual(mails.map((m) => m.subject).sort(), [...acked].sort());
    } finally {
      await t2.stop();
    }
  } finally {
    spawnSync('umount', [data]);
    await removeDir(dir);
  }
});

test('the embedded default configuration creates a demo key, a certificate and delivers into data/outbox', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-default-'));
  const d = await embeddedDefaultConfig(dir);
  assert.equal(d.demoKeyCreated, true);
  assert.equal((await readFile(join(dir, 'demo-api-key'), 'utf8')).trim(), d.demoKey);
  assert.deepEqual(d.config.listeners.map((l) => l.port), [587, 2525, 8025]);
  // Same configuration on an ephemeral port, so the test never collides with a relay on 2525.
  assert.deepEqual(d.config.admin, { host: '127.0.0.1', port: 9025, token: '', metricsTopDestinations: 20 });
  const config = { ...d.config, logLevel: 'silent' as const, listeners: [{ ...d.config.listeners[0]!, port: 0, host: '127.0.0.1' }], admin: { host: '127.0.0.1', port: 0, token: '', metricsTopDestinations: 20 } };
  const relay = await startRelay(config, pino({ level: 'silent' }));
  try {
    const r = await sendWithNodemailer(relay.addresses[0]!.port, { from: 'app@example.com', to: 'someone@example.net', subject: 'demo', html: '<p>demo</p>', headers: { 'X-Auth-APIKey': d.demoKey } }, null);
    assert.equal(r.code, 250, r.response);
    const mails = await readOutbox(join(dir, 'outbox'), 1);
    assert.equal(mails[0]!.subject, 'demo');
    assert.match(await readFile(join(dir, 'tls', 'cert.pem'), 'utf8'), /BEGIN CERTIFICATE/);
    // The admin server answers with the token created in the data folder.
    const token = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
    const res = await fetch(`http://127.0.0.1:${relay.admin!.port}/api/stats?account=demo`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${relay.admin!.port}/api/stats?account=demo`)).status, 401);
    const again = await embeddedDefaultConfig(dir);
    assert.equal(again.demoKey, d.demoKey);
    assert.equal(again.demoKeyCreated, false);
  } finally {
    await relay.stop();
    await removeDir(dir);
  }
});

test('queue.hold accepts and spools without delivering; a reload that turns it off delivers what was held', async () => {
  const t = await startTestRelay((json) => {
    (json['queue'] as Record<string, unknown>)['hold'] = true;
  });
  try {
    const r = await sendWithNodemailer(t.port, { from: 'a@example.com', to: 'held@example.net', subject: 'held', html: '<p>x</p>' });
    assert.equal(r.code, 250, r.response);
    assert.equal(t.relay.spool.stats().messages, 1);
    assert.deepEqual(await rawOutbox(t.outbox('out-main')), []);
    await t.relay.reload(buildConfig(t.dir));
    const mails = await readOutbox(t.outbox('out-main'), 1);
    assert.equal(mails[0]!.subject, 'held');
  } finally {
    await t.stop();
    await removeDir(t.dir);
  }
});

test('a second relay on the same data folder is refused while the first runs, and starts once it stopped', async () => {
  const first = await startTestRelay();
  try {
    await assert.rejects(startTestRelay(undefined, first.dir), /data folder .* is in use by another txrelay process \(pid \d+\)/);
  } finally {
    await first.stop();
  }
  const second = await startTestRelay(undefined, first.dir);
  await second.stop();
  await removeDir(first.dir);
});

test('a lock file left by a killed relay is taken over', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-stale-'));
  await writeFile(join(dir, 'txrelay.pid'), '999999\n');
  const t = await startTestRelay(undefined, dir);
  assert.equal((await readFile(join(dir, 'txrelay.pid'), 'utf8')).trim(), String(process.pid));
  await t.stop();
  await removeDir(dir);
});
