// Minimal counterexamples found by the fuzzing and hostile-client campaigns, each kept as a plain test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseProxyHeader, ProxyHeaderError } from '../../src/protocol/proxy.js';
import { RelayChild, writeRelayConfig } from './relay-child.js';

test('a PROXY v1 header shorter than "PROXY " but ended by CRLF is refused as an error, not thrown (fuzz: "P\\r\\n")', () => {
  for (const s of ['P\r\n', 'PR\r\n', 'PROX\r\n', 'PROXY\r\n']) {
    const r = parseProxyHeader(Buffer.from(s, 'latin1'));
    assert.ok(r instanceof ProxyHeaderError, JSON.stringify(s));
  }
});

test('a trusted proxy peer sending "P\\r\\n" is disconnected and the relay process keeps serving', { timeout: 30_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-regress-'));
  const { relay, port } = await RelayChild.start(await writeRelayConfig({ dir, proxyTrusted: ['127.0.0.1'] }));
  try {
    const bad = connect(port, '127.0.0.1');
    bad.on('error', () => undefined);
    bad.write('P\r\n');
    await new Promise<void>((r) => bad.on('close', () => r()));
    await sleep(200);
    assert.equal(relay.child.exitCode, null, `relay died: ${relay.stderr.slice(0, 500)}`);
    const good = connect(port, '127.0.0.1');
    good.write('PROXY TCP4 192.0.2.1 192.0.2.2 4000 25\r\n');
    const greeting = await new Promise<string>((r) => good.once('data', (d: Buffer) => r(d.toString())));
    good.destroy();
    assert.match(greeting, /^220 /);
  } finally {
    await relay.kill9();
    await rm(dir, { recursive: true, force: true });
  }
});
