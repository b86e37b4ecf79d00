// The loadgen CLI as an operator runs it: a separate node process pointed at a running server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { standardScript, startScriptedSmtpServer } from './scripted-smtp-server.js';

const LOADGEN = fileURLToPath(new URL('../../bench/loadgen.js', import.meta.url));
const run = promisify(execFile);

test('the CLI sends the requested messages and prints the result as JSON', async () => {
  const server = await startScriptedSmtpServer();
  try {
    const { stdout } = await run(process.execPath, [LOADGEN, '--port', String(server.port), '--sessions', '2', '--count', '5', '--pipelined', '--per-connection', '0', '--json']);
    const result = JSON.parse(stdout) as { messages: number; errors: Record<string, number> };
    assert.equal(result.messages, 5);
    assert.deepEqual(result.errors, {});
    assert.equal(server.bodies.length, 5);
  } finally {
    await server.close();
  }
});

test('the CLI exits with 1 and names the errors when messages are refused', async () => {
  const server = await startScriptedSmtpServer((line) => (line.startsWith('RCPT') ? '550 5.1.1 No such user' : standardScript(line)));
  try {
    await assert.rejects(run(process.execPath, [LOADGEN, '--port', String(server.port), '--count', '2']), (err: { code?: number; stdout?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stdout ?? '', /errors +550=2/);
      return true;
    });
  } finally {
    await server.close();
  }
});

test('the CLI exits with 2 and prints usage without a port', async () => {
  await assert.rejects(run(process.execPath, [LOADGEN, '--count', '2']), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 2);
    assert.match(err.stderr ?? '', /--port is required/);
    return true;
  });
});
