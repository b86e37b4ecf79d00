import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/relay/config/index.js';
import { needTool, requireTool } from '../support/system-tools.js';

// dist/test/admin/deploy.test.js → the repository's deploy/ folder.
const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const read = (name: string): string => readFileSync(DEPLOY + name, 'utf8');

/** The [Service] settings of a unit file, last assignment winning (as systemd reads them). */
function serviceSettings(unit: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!;
    else if (section === 'Service') {
      const eq = line.indexOf('=');
      out.set(line.slice(0, eq), line.slice(eq + 1));
    }
  }
  return out;
}

describe('deploy/ examples', () => {
  it('systemd unit: runs as its own user, reloads with SIGHUP, stops with SIGTERM within more than the shutdown grace', () => {
    const unit = read('txrelay.service');
    const s = serviceSettings(unit);
    assert.match(s.get('ExecStart') ?? '', /dist\/src\/cli\.js --config \S+/);
    assert.equal(s.get('User'), 'txrelay');
    assert.equal(s.get('Restart'), 'on-failure');
    assert.ok(Number(s.get('LimitNOFILE')) >= 65536);
    assert.equal(s.get('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(s.get('KillSignal'), 'SIGTERM');
    assert.ok(Number(s.get('TimeoutStopSec')) > DEFAULT_LIMITS.shutdownGraceMs / 1000, 'TimeoutStopSec above the shutdown grace');
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
  });

  it('systemd unit passes systemd-analyze verify', { skip: needTool('systemd-analyze') }, () => {
    const r = spawnSync(requireTool('systemd-analyze'), ['verify', DEPLOY + 'txrelay.service'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
  });

  it('HAProxy example balances two relays with PROXY protocol v2, health checks included', () => {
    const cfg = read('haproxy.cfg');
    assert.match(cfg, /^\s*mode tcp$/m);
    assert.match(cfg, /default-server .*send-proxy-v2/);
    assert.match(cfg, /default-server .*check-send-proxy/);
    const backend = /^backend txrelay_587\n([\s\S]*?)(\n\n|(?![\s\S]))/m.exec(cfg)?.[1] ?? '';
    assert.equal((backend.match(/^\s*server /gm) ?? []).length, 2);
  });

  it('HAProxy example is a valid configuration', { skip: needTool('haproxy') }, () => {
    const r = spawnSync(requireTool('haproxy'), ['-c', '-f', DEPLOY + 'haproxy.cfg'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('Prometheus example scrapes /metrics with the admin bearer token and loads the alert rules', () => {
    const cfg = read('prometheus.yml');
    assert.match(cfg, /metrics_path: \/metrics/);
    assert.match(cfg, /authorization:\n\s+type: Bearer\n\s+credentials_file: \S+/);
    assert.match(cfg, /- txrelay-alerts\.yml/);
    const rules = read('txrelay-alerts.yml');
    for (const metric of rules.match(/txrelay_[a-z_]+/g) ?? []) {
      assert.ok(/^txrelay_(spool_oldest_age_seconds|delivery_attempts_total|delivery_duration_seconds_bucket)$/.test(metric), `alert uses a metric the relay exports: ${metric}`);
    }
  });
});
