// Real HTTP clients against the send API: curl (plain and HTTPS with the relay's certificate), Python requests,
// Node's fetch, and node:https. Each message is read back from the outbox.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KEY_A, removeDir, waitForSubject } from '../relay/relay-harness.js';
import { needTool, requireTool } from '../support/system-tools.js';
import { apiRelayPerSuite, message, startApiRelay, type ApiRelay } from './http-api-harness.js';

const REQUESTS_SCRIPT = resolve('test/http-api/requests-send.py');

/** Runs a program to its end (bounded); resolves with its output, rejects on a non-zero exit. */
function run(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) res({ stdout, stderr });
      else rej(new Error(`${cmd} exited with ${code}: ${stderr}`));
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('HTTP send API: real clients (plain HTTP)', () => {
  let t: ApiRelay;
  apiRelayPerSuite((r) => (t = r));

  test('curl: 202 with the queue id; a repeat with the same Idempotency-Key gets the same answer', { skip: needTool('curl') }, async () => {
    const body = JSON.stringify(message({ subject: 'from curl', to: [{ email: 'curl@example.net', name: 'Curl User' }] }));
    const args = ['-sS', '-w', '%{http_code}', '-H', `Authorization: Bearer ${KEY_A}`, '-H', 'Content-Type: application/json', '-H', 'Idempotency-Key: curl-1', '--data-binary', '@-', `${t.url}/v1/send`];
    const first = await run(requireTool('curl'), args, body);
    const [json, status] = first.stdout.trim().split('\n');
    assert.equal(status, '202', first.stdout);
    const answer = JSON.parse(json!) as { id: string; recipients: number };
    assert.equal(answer.recipients, 1);
    const again = await run(requireTool('curl'), args, body);
    assert.equal(again.stdout.trim().split('\n')[0], json);
    const [mail] = await waitForSubject(t.outbox('out-main'), 'from curl');
    assert.equal(mail!.messageId, `<${answer.id}.0@relay.test>`);
    assert.equal((mail!.to as { value: { name: string }[] }).value[0]!.name, 'Curl User');
  });

  test('curl with its default form content type is told 415, naming Content-Type', { skip: needTool('curl') }, async () => {
    const { stdout } = await run(requireTool('curl'), ['-sS', '-w', '%{http_code}', '-H', `X-Auth-APIKey: ${KEY_A}`, '-d', '{}', `${t.url}/v1/send`]);
    const [json, status] = stdout.trim().split('\n');
    assert.equal(status, '415');
    assert.equal((JSON.parse(json!) as { error: { field: string } }).error.field, 'Content-Type');
  });

  test('Python requests: 202, variables rendered (a float too), UTF-8 names; the idempotent repeat says so', { skip: needTool('requests') }, async () => {
    const python = requireTool('requests');
    const out = await run(python, [REQUESTS_SCRIPT, `${t.url}/v1/send`, KEY_A, 'from python', 'py-1']);
    const [status, replayed, json] = out.stdout.trim().split('\n');
    assert.equal(status, '202', out.stdout + out.stderr);
    assert.equal(replayed, '');
    const answer = JSON.parse(json!) as { id: string };
    const again = (await run(python, [REQUESTS_SCRIPT, `${t.url}/v1/send`, KEY_A, 'from python', 'py-1'])).stdout.trim().split('\n');
    assert.deepEqual([again[0], again[1], JSON.parse(again[2]!).id], ['202', 'true', answer.id]);
    const [mail] = await waitForSubject(t.outbox('out-main'), 'from python');
    assert.equal(String(mail!.html).trim(), '<p>Hello Jürgen, 12.5</p>');
    assert.equal((mail!.to as { value: { name: string }[] }).value[0]!.name, 'Jürgen Py');
    assert.equal(mail!.from!.value[0]!.name, 'Shop Python');
  });

  test('Node fetch: a batch, and a refusal read as JSON', async () => {
    const res = await fetch(`${t.url}/v1/send/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [message({ subject: 'fetch 1' }), message({ subject: 'fetch 2', template: 'none' })] }),
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(res.status, 200);
    const { results } = (await res.json()) as { results: [{ id: string }, { error: { code: number; status: number } }] };
    assert.match(results[0].id, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual([results[1].error.code, results[1].error.status], [554, 422]);
    assert.equal((await waitForSubject(t.outbox('out-main'), 'fetch 1')).length, 1);
  });
});

describe('HTTP send API: HTTPS with the relay\'s certificate (httpApi.tls)', () => {
  test('curl and node:https verify the relay\'s certificate and send', async (c) => {
    const t = await startApiRelay(undefined, undefined, { tls: true });
    try {
      const port = t.relay.httpApi!.port;
      const ca = await readFile(join(t.dir, 'tls', 'cert.pem'), 'utf8');
      const body = JSON.stringify(message({ subject: 'over https' }));
      const status = await new Promise<number>((res, rej) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, servername: 'relay.test', ca, path: '/v1/send', method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (r) => {
            r.resume();
            r.on('end', () => res(r.statusCode ?? 0));
          },
        );
        req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
        req.on('error', rej);
        req.end(body);
      });
      assert.equal(status, 202);
      assert.equal((await waitForSubject(t.outbox('out-main'), 'over https')).length, 1);
      if (needTool('curl') !== false) return c.skip('needs curl');
      const certFile = join(t.dir, 'tls', 'cert.pem');
      const curlBody = JSON.stringify(message({ subject: 'curl over https' }));
      const { stdout } = await run(requireTool('curl'), ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', certFile, '--resolve', `relay.test:${port}:127.0.0.1`, '-H', `Authorization: Bearer ${KEY_A}`, '-H', 'Content-Type: application/json', '--data-binary', curlBody, `https://relay.test:${port}/v1/send`]);
      assert.equal(stdout, '202');
      // Plain HTTP on the TLS port is not served.
      await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/send`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5000) }));
    } finally {
      await t.stop();
      await removeDir(t.dir);
    }
  });
});
