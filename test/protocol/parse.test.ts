import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBdatArgument, parseCommandLine, parseMailArgument, parseRcptArgument, decodeAuthResponse, parseAuthPlain } from '../../src/protocol/parse.js';
import { formatReply, isSmtpError } from '../../src/protocol/reply.js';
import { parseProxyHeader, ProxyHeaderError, TrustedProxies } from '../../src/protocol/proxy.js';

const MAX = 1000;

function mailError(arg: string): string {
  const r = parseMailArgument(arg, MAX);
  return isSmtpError(r) ? `${r.code} ${r.enhanced}` : 'ok';
}
function rcpt(arg: string, utf8 = false): string {
  const r = parseRcptArgument(arg, utf8);
  return typeof r === 'string' ? r : `${r.code} ${r.enhanced}`;
}

test('parses MAIL FROM with SIZE, BODY and SMTPUTF8 parameters', () => {
  const r = parseMailArgument('FROM:<a.b+c@example.com> SIZE=100 BODY=8BITMIME SMTPUTF8', MAX);
  assert.ok(!isSmtpError(r));
  assert.equal(r.from, 'a.b+c@example.com');
  assert.deepEqual(r.params, { size: 100, body: '8BITMIME', smtputf8: true });
});

test('accepts the null reverse-path, lower-case keywords and a space after the colon', () => {
  const r = parseMailArgument('from: <>', MAX);
  assert.ok(!isSmtpError(r));
  assert.equal(r.from, '');
});

test('refuses SIZE above the maximum at MAIL with 552 5.3.4', () => {
  assert.equal(mailError('FROM:<a@b.c> SIZE=1001'), '552 5.3.4');
  assert.equal(mailError('FROM:<a@b.c> SIZE=1000'), 'ok');
  assert.equal(mailError('FROM:<a@b.c> SIZE=abc'), '501 5.5.4');
});

test('refuses unknown MAIL and RCPT parameters with 555 5.5.4', () => {
  assert.equal(mailError('FROM:<a@b.c> RET=FULL'), '555 5.5.4');
  assert.equal(mailError('FROM:<a@b.c> BODY=BINARYMIME'), '555 5.5.4');
  assert.equal(rcpt('TO:<a@b.c> NOTIFY=NEVER'), '555 5.5.4');
  assert.equal(mailError('FROM:<a@b.c> SIZE=1 SIZE=2'), '501 5.5.4');
});

test('accepts the AUTH= parameter of MAIL (RFC 4954 §5)', () => {
  assert.equal(mailError('FROM:<a@b.c> AUTH=<>'), 'ok');
});

test('parses quoted local parts, address literals and drops source routes', () => {
  assert.equal(rcpt('TO:<"john doe"@example.com>'), '"john doe"@example.com');
  assert.equal(rcpt('TO:<"a\\"b"@example.com>'), '"a\\"b"@example.com');
  assert.equal(rcpt('TO:<user@[192.0.2.1]>'), 'user@[192.0.2.1]');
  assert.equal(rcpt('TO:<user@[IPv6:2001:db8::1]>'), 'user@[IPv6:2001:db8::1]');
  assert.equal(rcpt('TO:<@relay1.example,@relay2.example:user@example.com>'), 'user@example.com');
  assert.equal(rcpt('TO:<Postmaster>'), 'Postmaster');
});

test('refuses malformed addresses with 501 5.1.3 / 501 5.1.7', () => {
  for (const bad of ['TO:<a..b@c.d>', 'TO:<.a@c.d>', 'TO:<a@>', 'TO:<a@-x.com>', 'TO:<a@x-.com>', 'TO:a@b.c', 'TO:<a@b.c', 'TO:<>',
    'TO:<a b@c.d>', 'TO:<a@[300.1.1.1]>', 'TO:<a@[IPv6:zz::1]>', `TO:<${'x'.repeat(65)}@c.d>`, 'TO:<"unterminated@c.d>']) {
    assert.equal(rcpt(bad), bad.startsWith('TO:<') ? '501 5.1.3' : '501 5.1.3', bad);
  }
  assert.equal(mailError('FROM:<a@@b>'), '501 5.1.7');
  assert.equal(mailError('TO:<a@b>'), '501 5.5.4');
});

test('accepts UTF-8 addresses only with SMTPUTF8 (else 553 5.6.7)', () => {
  assert.equal(rcpt('TO:<jörg@bücher.de>', true), 'jörg@bücher.de');
  assert.equal(rcpt('TO:<jörg@bücher.de>', false), '553 5.6.7');
  assert.equal(mailError('FROM:<jörg@example.com>'), '553 5.6.7');
  assert.equal(mailError('FROM:<jörg@example.com> SMTPUTF8'), 'ok');
});

test('splits a command line into an upper-case verb and its argument, refusing control characters', () => {
  const line = Buffer.from('mail FROM:<a@b.c>');
  const r = parseCommandLine(line, 0, line.length);
  assert.deepEqual(r, { verb: 'MAIL', argument: 'FROM:<a@b.c>' });
  const ctl = Buffer.from('NOOP \x00x');
  const e = parseCommandLine(ctl, 0, ctl.length);
  assert.ok(isSmtpError(e) && e.code === 500 && e.enhanced === '5.5.2');
  const bad = Buffer.from([0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xff]);
  assert.ok(isSmtpError(parseCommandLine(bad, 0, bad.length)));
});

test('parses BDAT sizes and LAST', () => {
  assert.deepEqual(parseBdatArgument('100 LAST'), { size: 100, last: true });
  assert.deepEqual(parseBdatArgument('0'), { size: 0, last: false });
  assert.ok(isSmtpError(parseBdatArgument('-1')));
  assert.ok(isSmtpError(parseBdatArgument('10 FIRST')));
});

test('decodes AUTH PLAIN responses and refuses bad base64', () => {
  const raw = decodeAuthResponse(Buffer.from('\0user\0pass').toString('base64'));
  assert.ok(raw !== null);
  assert.deepEqual(parseAuthPlain(raw), { username: 'user', password: 'pass' });
  assert.equal(decodeAuthResponse('not base64!'), null);
  assert.deepEqual(decodeAuthResponse('='), Buffer.alloc(0));
  assert.equal(parseAuthPlain(Buffer.from('nonul')), null);
});

test('parses PROXY v1 and v2 headers and refuses malformed ones', () => {
  const v1 = parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\nEHLO x\r\n'));
  assert.deepEqual(v1, { sourceAddress: '203.0.113.7', sourcePort: 40000, length: 43 });
  assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.7')), null);
  assert.ok(parseProxyHeader(Buffer.from('PROXY TCP4 nope 192.0.2.1 1 2\r\n')) instanceof ProxyHeaderError);
  const sig = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const v2 = Buffer.concat([sig, Buffer.from([0x21, 0x11, 0x00, 0x0c, 198, 51, 100, 9, 192, 0, 2, 1, 0x9c, 0x40, 0x00, 0x19])]);
  assert.deepEqual(parseProxyHeader(v2), { sourceAddress: '198.51.100.9', sourcePort: 40000, length: 28 });
  assert.equal(parseProxyHeader(v2.subarray(0, 20)), null);
  const v1six = parseProxyHeader(Buffer.from('PROXY TCP6 2001:DB8:0:0:0:0:0:1 2001:db8::2 40000 25\r\n'));
  assert.ok(v1six !== null && !(v1six instanceof ProxyHeaderError));
  assert.equal(v1six.sourceAddress, '2001:db8::1');
  const trusted = new TrustedProxies(['10.0.0.0/8', '127.0.0.1']);
  assert.equal(trusted.has('10.1.2.3'), true);
  assert.equal(trusted.has('::ffff:127.0.0.1'), true);
  assert.equal(trusted.has('192.0.2.1'), false);
  assert.throws(() => new TrustedProxies(['not-an-ip']), /proxyProtocol\.trusted/);
});

test('formats multi-line replies and never lets CR or LF in reply text forge another reply', () => {
  assert.equal(formatReply({ code: 250, enhanced: '', text: ['a', 'b'] }), '250-a\r\n250 b\r\n');
  assert.equal(formatReply({ code: 550, enhanced: '5.1.1', text: 'no\r\n250 2.0.0 forged' }), '550 5.1.1 no 250 2.0.0 forged\r\n');
});
