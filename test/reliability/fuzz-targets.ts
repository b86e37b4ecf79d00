// Fuzz targets shared by the short (npm test) and long (soak) fuzz runs: each runs fast-check over one parser
// and checks it never throws anything but its own error type, never hangs, and agrees with itself across chunkings.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import {
  decodeAuthResponse,
  parseAuthPlain,
  parseBdatArgument,
  parseCommandLine,
  parseMailArgument,
  parsePath,
  parseRcptArgument,
} from '../../src/protocol/parse.js';
import { DATA_BARE_CR, DATA_BARE_LF, DATA_INCOMPLETE, DataReader, type LineEndings } from '../../src/protocol/data-reader.js';
import { parseProxyHeader } from '../../src/protocol/proxy.js';
import { SmtpError } from '../../src/protocol/reply.js';
import { MessageParser } from '../../src/mime/message-parser.js';
import { MimeLimitError } from '../../src/mime/limits.js';
import { decodeEncodedWords } from '../../src/mime/encoded-words.js';
import { parseAddressList } from '../../src/mime/addresses.js';
import { compileTemplate } from '../../src/relay/template/template.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportParser } from '../../src/relay/feedback/report-parser.js';
import { CORPUS } from '../support/corpus.js';
import { TemplateError } from '../../src/relay/template/errors.js';
import { parseVariables } from '../../src/relay/accept/policy.js';

/** Runs `fn`, records how long it took in `timing`, returns its result. */
export interface Timing {
  maxMs: number;
  cases: number;
}

function timed<T>(timing: Timing, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    timing.cases++;
    if (ms > timing.maxMs) timing.maxMs = ms;
  }
}

let gcFn: (() => void) | null = null;
/** A real gc() so the heap check compares live data, not garbage (node --test runs without --expose-gc). */
export function collectGarbage(): void {
  if (gcFn === null) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

// ---- generators ---------------------------------------------------------------------------------------

/** Bytes biased toward the ones that matter to line-oriented parsers. */
const protocolByte = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0x0d, 0x0a, 0x2e, 0x20, 0x3c, 0x3e, 0x3a, 0x3d, 0x40, 0x22, 0x5c) },
  { weight: 3, arbitrary: fc.integer({ min: 0x41, max: 0x5a }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const protocolBytes = (maxLength: number) => fc.array(protocolByte, { maxLength }).map((a) => Buffer.from(a));

const commandText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc
    .array(
      fc.constantFrom('MAIL FROM:', 'RCPT TO:', '<', '>', '@', 'a', 'example.com', ' SIZE=', '123', ' BODY=8BITMIME', ' SMTPUTF8', '"', '\\', '[', ']', 'IPv6:', '::1', ':', ',', '@x,@y:', 'é', '\u0000', ' ', '=', 'LAST', 'PLAIN', 'AHVzZXIAcGFzcw=='),
      { maxLength: 30 },
    )
    .map((a) => a.join('')),
);

/** Splits `buf` into chunks at the given cut points. */
function chunk(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

// ---- reference model of the DATA reader (RFC 5321 §4.1.1.4, §4.5.2), written for clarity, not speed --------

type DataOutcome = { kind: 'end'; at: number; body: Buffer } | { kind: 'incomplete'; body: Buffer } | { kind: 'bare' };

export function referenceData(input: Buffer, lineEndings: LineEndings = 'strict'): DataOutcome {
  const body: Buffer[] = [];
  let p = 0;
  // Normalize mode: only a "." line that starts after CRLF (or first) and ends in CRLF ends the data.
  let afterCrlf = true;
  for (;;) {
    let e = p;
    while (e < input.length && input[e] !== 0x0d && input[e] !== 0x0a) e++;
    if (e === input.length) {
      // Tail without line end: a lone "." is held back; a leading "." is dot-stuffing.
      const line = input.subarray(p);
      body.push(line[0] === 0x2e ? line.subarray(1) : line);
      return { kind: 'incomplete', body: Buffer.concat(body) };
    }
    const line = input.subarray(p, e);
    const lone = line.length === 1 && line[0] === 0x2e;
    if (input[e] === 0x0a) {
      if (lineEndings === 'strict') return { kind: 'bare' };
      body.push(lone ? line : line[0] === 0x2e ? line.subarray(1) : line, Buffer.from([0x0a]));
      afterCrlf = false;
      p = e + 1;
      continue;
    }
    if (e + 1 === input.length) {
      if (lone) return { kind: 'incomplete', body: Buffer.concat(body) };
      body.push(line[0] === 0x2e ? line.subarray(1) : line, Buffer.from([0x0d]));
      return { kind: 'incomplete', body: Buffer.concat(body) };
    }
    if (input[e + 1] !== 0x0a) return { kind: 'bare' };
    if (lone && afterCrlf) return { kind: 'end', at: e + 2, body: Buffer.concat(body) };
    body.push(lone ? line : line[0] === 0x2e ? line.subarray(1) : line, Buffer.from([0x0d, 0x0a]));
    afterCrlf = true;
    p = e + 2;
  }
}

function readerData(input: Buffer, cuts: number[], lineEndings: LineEndings = 'strict'): DataOutcome {
  const body: Buffer[] = [];
  const reader = new DataReader((c) => body.push(Buffer.from(c)), lineEndings);
  let offset = 0;
  for (const piece of chunk(input, cuts)) {
    const r = reader.feed(piece, 0);
    if (r === DATA_BARE_CR || r === DATA_BARE_LF) return { kind: 'bare' };
    if (r >= 0) return { kind: 'end', at: offset + r, body: Buffer.concat(body) };
    assert.equal(r, DATA_INCOMPLETE);
    offset += piece.length;
  }
  return { kind: 'incomplete', body: Buffer.concat(body) };
}

// ---- MIME messages ------------------------------------------------------------------------------------

const mimeFragment = fc.oneof(
  fc.constantFrom(
    'From: A <a@example.com>\r\n',
    'To: =?utf-8?B?w6k=?= <x@y>, "B, C" <b@c>\r\n',
    'Subject: =?iso-8859-1?Q?caf=E9?= =?utf-8?q?_=E2=82=AC?=\r\n',
    'Content-Type: multipart/mixed; boundary="b"\r\n',
    'Content-Type: multipart/alternative; boundary=b2\r\n',
    'Content-Type: text/html; charset=utf-8\r\n',
    'Content-Type: text/plain; charset=x-unknown\r\n',
    'Content-Type: message/rfc822\r\n',
    'Content-Transfer-Encoding: base64\r\n',
    'Content-Transfer-Encoding: quoted-printable\r\n',
    'Content-Disposition: attachment; filename*=utf-8\'\'%C3%A9.pdf\r\n',
    'X-Transactional-Variables: {"a":1}\r\n',
    '\r\n',
    '--b\r\n',
    '--b--\r\n',
    '--b2\r\n',
    '--b2--\r\n',
    '<p>hello</p>\r\n',
    'PGh0bWw+\r\n',
    '=E2=82=AC=\r\n',
    ' folded continuation\r\n',
    '\n',
    '\r',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const mimeMessage = fc.array(mimeFragment, { maxLength: 60 }).map((a) => Buffer.from(a.join(''), 'utf8'));

function parseMime(pieces: Buffer[]): { ok: unknown } | { limit: string } {
  const p = new MessageParser({ maxParts: 50, maxDepth: 8, maxHeaderBytes: 8192 });
  try {
    for (const c of pieces) p.write(c);
    return { ok: p.end() };
  } catch (e) {
    if (e instanceof MimeLimitError) return { limit: e.message };
    throw e;
  }
}

// ---- bounce and complaint reports ----------------------------------------------------------------------

let bounceCorpus: Buffer[] | null = null;
/** The corpus's real reports, read once. */
function bounceMessages(): Buffer[] {
  if (bounceCorpus === null) {
    const dir = join(CORPUS, 'bounces', 'emails');
    bounceCorpus = readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
  }
  return bounceCorpus;
}

const REPORT_LIMITS = { maxParts: 50, maxDepth: 8, maxHeaderBytes: 16384, maxBodyBytes: 32768 };

/** A corpus report with random bytes overwritten, inserted and cut, or a random MIME-ish message. */
const reportMessage = fc.oneof(
  mimeMessage,
  fc
    .tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), protocolBytes(24)), { maxLength: 6 }), fc.option(fc.nat()))
    .map(([which, edits, cut]) => {
      const all = bounceMessages();
      let m = all[which % all.length]!;
      for (const [at, del, ins] of edits) {
        const p = at % (m.length + 1);
        m = Buffer.concat([m.subarray(0, p), ins, m.subarray(Math.min(m.length, p + del))]);
      }
      return cut === null ? m : m.subarray(0, cut % (m.length + 1));
    }),
);

function parseReportPieces(pieces: Buffer[]): { ok: unknown } | { limit: string } {
  const p = new ReportParser(REPORT_LIMITS);
  try {
    for (const c of pieces) p.write(c);
    return { ok: p.end() };
  } catch (e) {
    if (e instanceof MimeLimitError) return { limit: e.message };
    throw e;
  }
}

// ---- templates ----------------------------------------------------------------------------------------

const templateToken = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(
    '{{', '}}', '{%', '%}', '{#', '#}', '{%-', '-%}', '{{-', '-}}', ' ', 'x', 'y', 'user', '.', 'name', '[', ']', '(', ')', ',',
    '|', 'upper', 'default', 'd(', 'join(', 'replace(', 'round', 'int', 'truncate(', 'tojson', 'format(', 'sort', 'dictsort',
    'length', 'e', 'safe', 'striptags', 'urlencode', 'first', 'last', 'sum', 'unique', 'list', 'wordcount', 'title', 'abs',
    'for ', ' in ', 'endfor', 'if ', 'elif ', 'else', 'endif', 'set ', 'endset', 'raw', 'endraw', 'macro ', 'endmacro', 'call',
    'loop.index', 'loop', 'range(', 'is ', 'defined', 'divisibleby', 'not ', ' and ', ' or ', '~', '+', '-', '*', '/', '//', '%',
    '**', '==', '!=', '<', '>=', '=', '1', '0', '-1', '1e308', '3.5', '"s"', "'q'", '"%s %d"', '__proto__', 'constructor',
    'prototype', '__class__', 'toString', 'valueOf', 'items', 'keys', 'true', 'None', 'none', '\n', '\r\n', '\t',
  ) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const templateText = fc.array(templateToken, { maxLength: 40 }).map((a) => a.join(''));
const contextValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.constantFrom('x', 'y', 'name', 'user', 'items', '__proto__', 'constructor', 'length', 'toString'), tie('value'), { maxKeys: 4 }),
  ),
})).value;
const templateContext = fc.dictionary(fc.constantFrom('x', 'y', 'user', 'name', 'items', 'loop', 'range', 'constructor', '__proto__'), contextValue, { maxKeys: 5 });
const TEMPLATE_LIMITS = { maxRenderMs: 200, maxLoopIterations: 10_000, maxRangeSize: 1000, maxOutputBytes: 64 * 1024, maxStringRepeat: 64 * 1024 };

// ---- JSON variables -----------------------------------------------------------------------------------

const variablesText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 100 }),
  fc.array(fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', 'null', 'true', '"__proto__"', '"a"', ' ', '\\u0000', '-', 'e9', '\\'), { maxLength: 40 }).map((a) => a.join('')),
);

// ---- the targets --------------------------------------------------------------------------------------

export interface FuzzTarget {
  name: string;
  property(timing: Timing): fc.IPropertyWithHooks<never> | fc.IRawProperty<unknown[]>;
}

export const FUZZ_TARGETS: FuzzTarget[] = [
  {
    name: 'SMTP command parser (parseCommandLine, paths, MAIL/RCPT/BDAT arguments, AUTH payloads, PROXY header)',
    property: (timing) =>
      fc.property(protocolBytes(300), commandText, fc.boolean(), (bytes, text, flag) =>
        timed(timing, () => {
          const line = parseCommandLine(bytes, 0, bytes.length);
          if (!(line instanceof SmtpError)) {
            assert.equal(typeof line.verb, 'string');
            assert.equal(typeof line.argument, 'string');
          }
          parseMailArgument(text, 1000);
          parseRcptArgument(text, flag);
          parseBdatArgument(text);
          parsePath(text, 0, flag, !flag);
          const auth = decodeAuthResponse(text);
          if (auth !== null) parseAuthPlain(auth);
          parseAuthPlain(bytes);
          parseProxyHeader(bytes);
          parseProxyHeader(Buffer.concat([Buffer.from('PROXY '), Buffer.from(text)]));
        }),
      ),
  },
  {
    name: 'DATA reader agrees with a reference model for any chunking, strict and normalize (end, bare CR/LF, dot-stuffing)',
    property: (timing) =>
      fc.property(
        fc.oneof(protocolBytes(200), fc.array(fc.constantFrom('\r\n', '.', '\r', '\n', 'a', '..', '.\r\n', '\n.\n'), { maxLength: 40 }).map((a) => Buffer.from(a.join('')))),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.constantFrom<LineEndings>('strict', 'normalize'),
        (input, cuts, lineEndings) =>
          timed(timing, () => {
            const got = readerData(input, cuts, lineEndings);
            const want = referenceData(input, lineEndings);
            assert.deepEqual(got, want);
          }),
      ),
  },
  {
    name: 'MIME parser: only MimeLimitError is thrown, and random chunking gives the same result',
    property: (timing) =>
      fc.property(mimeMessage, fc.array(fc.nat(), { maxLength: 6 }), (message, cuts) =>
        timed(timing, () => {
          const whole = parseMime([message]);
          const chunked = parseMime(chunk(message, cuts));
          assert.deepEqual(chunked, whole);
        }),
      ),
  },
  {
    name: 'report parser on random and mutated corpus reports: only MimeLimitError is thrown, and random chunking gives the same records',
    property: (timing) =>
      fc.property(reportMessage, fc.array(fc.nat(), { maxLength: 6 }), (message, cuts) =>
        timed(timing, () => {
          const whole = parseReportPieces([message]);
          if ('ok' in whole) assert.ok(Array.isArray(whole.ok));
          assert.deepEqual(parseReportPieces(chunk(message, cuts)), whole);
        }),
      ),
  },
  {
    name: 'header decoding (decodeEncodedWords, parseAddressList) never throws',
    property: (timing) =>
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(fc.constantFrom('=?', '?=', 'utf-8', 'iso-8859-1', 'x-bogus', '?B?', '?Q?', '?b?', 'w6k=', '=E9', '_', '<', '>', '@', '"', ',', ';', ':', '(', ')', '\\', ' ', 'a', 'example.com', '\r\n '), { maxLength: 40 }).map((a) => a.join('')),
        ),
        (s) =>
          timed(timing, () => {
            assert.equal(typeof decodeEncodedWords(s), 'string');
            assert.ok(Array.isArray(parseAddressList(s)));
          }),
      ),
  },
  {
    name: 'template lexer, parser and renderer: only TemplateError is thrown, for any text and context',
    property: (timing) =>
      fc.property(templateText, templateContext, fc.boolean(), (source, context, autoescape) =>
        timed(timing, () => {
          try {
            const out = compileTemplate(source, { autoescape, limits: TEMPLATE_LIMITS }).render(context);
            assert.equal(typeof out, 'string');
          } catch (e) {
            if (!(e instanceof TemplateError)) throw e;
          }
        }),
      ),
  },
  {
    name: 'X-Transactional-Variables (parseVariables): only SmtpError is thrown; the result is null or a plain object',
    property: (timing) =>
      fc.property(variablesText, (text) =>
        timed(timing, () => {
          try {
            const v = parseVariables(text, 4096);
            assert.ok(v === null || (typeof v === 'object' && !Array.isArray(v)));
          } catch (e) {
            if (!(e instanceof SmtpError)) throw e;
          }
        }),
      ),
  },
];

export interface FuzzFigures {
  cases: number;
  maxCaseMs: number;
  seconds: number;
  heapGrowthMB: number;
}

/** Runs one target for `numRuns` cases; asserts no failure, each case under `maxCaseMs`, heap growth under `maxHeapGrowthMB`. */
export function runFuzzTarget(target: FuzzTarget, numRuns: number, bounds = { maxCaseMs: 1000, maxHeapGrowthMB: 64 }, seed?: number): FuzzFigures {
  const timing: Timing = { maxMs: 0, cases: 0 };
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  fc.assert(target.property(timing) as fc.IRawProperty<unknown[]>, { numRuns, ...(seed !== undefined ? { seed } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  collectGarbage();
  const heapGrowthMB = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
  assert.ok(timing.maxMs < bounds.maxCaseMs, `slowest case took ${timing.maxMs.toFixed(1)} ms (bound ${bounds.maxCaseMs} ms)`);
  assert.ok(heapGrowthMB < bounds.maxHeapGrowthMB, `heap grew by ${heapGrowthMB.toFixed(1)} MB (bound ${bounds.maxHeapGrowthMB} MB)`);
  return { cases: timing.cases, maxCaseMs: timing.maxMs, seconds, heapGrowthMB };
}
