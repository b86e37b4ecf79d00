// The load generator's pieces on their own: reply parsing, dot-stuffing, the default message, the CLI flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import PostalMime from 'postal-mime';
import { ReplyReader } from '../../bench/loadgen/reply-reader.js';
import { dataPayload, dotStuff } from '../../bench/loadgen/data-payload.js';
import { defaultMessageBuilder } from '../../bench/loadgen/message.js';
import { parseLoadArgs } from '../../bench/loadgen/cli.js';
import { percentile } from '../../bench/loadgen/load-stats.js';

function readerOver(): { reader: ReplyReader; input: PassThrough } {
  const input = new PassThrough();
  const reader = new ReplyReader();
  reader.attach(Object.assign(input, { setTimeout: () => input }), 10_000);
  return { reader, input };
}

test('reply reader joins a multi-line reply split across reads', async () => {
  const { reader, input } = readerOver();
  input.write('250-mx.example\r\n250-PIPE');
  input.write('LINING\r\n250 SIZE 1000\r\n');
  assert.deepEqual(await reader.next(), { code: 250, text: 'mx.example\nPIPELINING\nSIZE 1000' });
});

test('reply reader hands out pipelined replies in order, whether they arrived before or after being awaited', async () => {
  const { reader, input } = readerOver();
  input.write('250 2.1.0 Ok\r\n550 5.1.1 No such user\r\n');
  const third = reader.next().then(() => reader.next()).then(() => reader.next());
  input.write('354 Go ahead\r\n');
  assert.deepEqual(await third, { code: 354, text: 'Go ahead' });
});

test('reply reader fails awaited replies when the server closes the connection', async () => {
  const { reader, input } = readerOver();
  const pending = reader.next();
  input.destroy();
  await assert.rejects(pending, { key: 'closed' });
});

test('dot-stuffing doubles a dot at the start of the message and of every line, and nothing else', () => {
  assert.equal(dotStuff(Buffer.from('.a\r\nb.c\r\n.\r\n')).toString(), '..a\r\nb.c\r\n..\r\n');
  const plain = Buffer.from('no dots\r\nat line starts.\r\n');
  assert.equal(dotStuff(plain), plain);
});

test('the data payload ends with <CRLF>.<CRLF> whether or not the message ends with CRLF', () => {
  assert.equal(Buffer.concat(dataPayload(Buffer.from('a\r\n'))).toString(), 'a\r\n.\r\n');
  assert.equal(Buffer.concat(dataPayload(Buffer.from('a'))).toString(), 'a\r\n.\r\n');
});

test('the default message is exactly the requested size and a multipart/alternative with text and HTML', async () => {
  for (const size of [2048, 10_000]) {
    const message = defaultMessageBuilder({ size })(7);
    assert.equal(message.length, size);
    assert.ok(!/(^|[^\r])\n|\r(?!\n)/.test(message.toString('latin1')), 'only CRLF line ends');
    const parsed = await PostalMime.parse(message);
    assert.equal(parsed.subject, 'Load test message 0000000007');
    assert.match(parsed.html ?? '', /<p>Hello,<\/p>/);
    assert.match(parsed.text ?? '', /^Hello,/);
  }
});

test('the default message is deterministic: the same index gives the same bytes', () => {
  assert.deepEqual(defaultMessageBuilder()(3), defaultMessageBuilder()(3));
});

test('nearest-rank percentiles of latencies', () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 500);
  assert.equal(percentile(sorted, 0.99), 990);
  assert.equal(percentile(sorted, 0.999), 999);
  assert.equal(percentile(new Float64Array(0), 0.5), 0);
});

test('CLI flags map onto load options', () => {
  const { options, json } = parseLoadArgs(['--port', '2525', '--sessions', '20', '--count', '2000', '--pipelined', '--per-connection', '0', '--starttls', '--auth-key', 'k', '--rate', '100', '--json']);
  assert.equal(json, true);
  assert.equal(options.port, 2525);
  assert.equal(options.sessions, 20);
  assert.equal(options.count, 2000);
  assert.equal(options.mode, 'pipelined');
  assert.equal(options.messagesPerConnection, 0);
  assert.equal(options.startTls, true);
  assert.equal(options.authKey, 'k');
  assert.equal(options.rate, 100);
});

test('CLI refuses a missing port and an unknown flag', () => {
  assert.throws(() => parseLoadArgs(['--count', '5']), /--port is required/);
  assert.throws(() => parseLoadArgs(['--port', '25', '--bogus']));
});
