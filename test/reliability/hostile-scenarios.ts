// Hostile clients against the full relay (startRelay: engine, spool, MIME, file route), counts as parameters so
// the short tests (npm test) and the soak share the code.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KEY_A, rawOutbox, sendWithNodemailer, startTestRelay, waitForSubject, type TestRelay, type TestUpstream } from '../relay/relay-harness.js';
import { collectGarbage } from './fuzz-targets.js';
import { RawClient, transaction } from './raw-client.js';

export type Limits = Record<string, number>;

export async function withRelay<T>(limits: Limits, fn: (t: TestRelay) => Promise<T>): Promise<T> {
  const t = await startTestRelay((json) => {
    json['limits'] = { maxConnections: 5000, maxConnectionsPerAddress: 5000, authFailureDelayMs: 10, ...limits };
  });
  try {
    return await fn(t);
  } finally {
    await t.stop();
  }
}

async function greeted(port: number): Promise<RawClient> {
  const c = new RawClient(port);
  await c.waitFor(/^220 /m);
  return c;
}

const html = (subject: string): string =>
  `From: App <app@example.com>\r\nTo: Someone\r\nSubject: ${subject}\r\nX-Auth-APIKey: ${KEY_A}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${subject}</p>`;

// ---- slowloris ----------------------------------------------------------------------------------------

export interface SlowlorisFigures {
  sessions: number;
  cut: number;
  cutWith421: number;
  /** Which deadline cut them: command timeout, data rate, session deadline. */
  reasons: { commandTimeout: number; dataRate: number; sessionDeadline: number };
  slowestCutMs: number;
  normalAccepted: number;
  normalSent: number;
}

/** Half the sessions dribble a command, half dribble DATA, one byte every `byteEveryMs`; a normal client sends meanwhile. */
export async function slowloris(sessions: number, normalMessages: number, byteEveryMs = 1000): Promise<SlowlorisFigures> {
  const limits = { commandTimeoutMs: 3000, minDataRateBytesPerSec: 50, dataRateGraceMs: 2000, sessionDeadlineMs: 8000 };
  return withRelay(limits, async (t) => {
    const clients: RawClient[] = [];
    const timers: NodeJS.Timeout[] = [];
    const started = Date.now();
    try {
      for (let i = 0; i < sessions; i++) {
        const c = new RawClient(t.port);
        clients.push(c);
        const inData = i % 2 === 1;
        const drip = Buffer.from(inData ? 'Subject: slow\r\nX-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n' : 'EHLO slow.example.org\r\n');
        let k = 0;
        if (inData) c.write('EHLO slow.example\r\nMAIL FROM:<slow@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n');
        const timer = setInterval(() => {
          if (c.isClosed) return clearInterval(timer);
          c.write(drip.subarray(k % drip.length, (k % drip.length) + 1));
          k++;
        }, byteEveryMs);
        timers.push(timer);
        if (i % 50 === 49) await sleep(20); // do not open them all in one tick
      }
      // A well-behaved client is served while the slow ones hold their connections.
      let normalAccepted = 0;
      for (let i = 0; i < normalMessages; i++) {
        const r = await sendWithNodemailer(t.port, { from: 'app@example.com', to: `n${i}@example.net`, subject: `normal ${i}`, html: '<p>n</p>' });
        if (r.code === 250) normalAccepted++;
      }
      // Every slow session is cut by a deadline: command timeout, data rate or the session deadline (8 s).
      await Promise.all(clients.map((c) => c.waitClosed(limits.sessionDeadlineMs + 20_000)));
      return {
        sessions,
        cut: clients.filter((c) => c.isClosed).length,
        cutWith421: clients.filter((c) => /421 4\.4\.2/.test(c.text)).length,
        reasons: {
          commandTimeout: clients.filter((c) => /421 4\.4\.2 Timeout waiting/.test(c.text)).length,
          dataRate: clients.filter((c) => /421 4\.4\.2 Data rate too low/.test(c.text)).length,
          sessionDeadline: clients.filter((c) => /421 4\.4\.2 Session time limit/.test(c.text)).length,
        },
        slowestCutMs: Math.max(...clients.map((c) => c.closedAt)) - started,
        normalAccepted,
        normalSent: normalMessages,
      };
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const c of clients) c.destroy();
    }
  });
}

// ---- huge lines, pipelining floods, recipient floods ----------------------------------------------------

/** A command line of `bytes` bytes: 500 5.5.2, then the session still answers. */
export async function hugeCommandLine(bytes: number): Promise<{ reply: string; usableAfter: boolean }> {
  return withRelay({}, async (t) => {
    const c = await greeted(t.port);
    try {
      c.write('EHLO huge.example\r\n');
      await c.waitFor(/^250 /m);
      const from = c.text.length;
      const chunk = Buffer.alloc(1 << 20, 0x61);
      c.write('NOOP ');
      for (let sent = 0; sent < bytes; sent += chunk.length) c.write(chunk);
      c.write('\r\nNOOP\r\n');
      await c.waitFor(/^500 5\.5\.2.*\r\n(.*\r\n)*250 /m, 30_000, from);
      const reply = /^500 .*$/m.exec(c.text.slice(from))![0];
      return { reply: reply.trim(), usableAfter: !c.isClosed };
    } finally {
      c.destroy();
    }
  });
}

/** A header line of `bytes` bytes inside DATA: a clear 5xx at the final dot, the session still usable, nothing queued. */
export async function hugeDataLine(bytes: number): Promise<{ reply: string; usableAfter: boolean; delivered: number }> {
  return withRelay({}, async (t) => {
    const c = await greeted(t.port);
    try {
      c.write(transaction(`From: a@example.com\r\nX-Auth-APIKey: ${KEY_A}\r\nSubject: `));
      await c.waitFor(/^354 /m);
      const chunk = Buffer.alloc(1 << 20, 0x62);
      for (let sent = 0; sent < bytes; sent += chunk.length) c.write(chunk);
      const from = c.text.length;
      c.write('\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n.\r\n');
      await c.waitFor(/^[245]\d\d [245]\.\d+\.\d+ .*\r\n/m, 30_000, from);
      const reply = /^\d{3} .*$/m.exec(c.text.slice(from))![0].trim();
      const before = c.text.length;
      c.write('RSET\r\n');
      await c.waitFor(/^250 /m, 10_000, before);
      await sleep(300);
      return { reply, usableAfter: !c.isClosed, delivered: (await rawOutbox(t.outbox('out-main'))).length };
    } finally {
      c.destroy();
    }
  });
}

export interface FloodFigures {
  commands: number;
  replies: number;
  overflowReply: boolean;
  heapGrowthMB: number;
  servesAfter: boolean;
}

/** `count` NOOPs in one write: every one answered (or a clear overflow reply and close), bounded heap, no crash. */
export async function pipelinedFlood(count: number): Promise<FloodFigures> {
  return withRelay({}, async (t) => {
    const c = await greeted(t.port);
    try {
      c.write('EHLO flood.example\r\n');
      await c.waitFor(/^250 /m);
      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      const base = c.replyCount;
      c.write(Buffer.from('NOOP\r\n'.repeat(count)));
      await c.until(() => c.replyCount - base >= count || c.isClosed, `${count} replies`, 60_000);
      collectGarbage();
      const heapGrowthMB = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
      const replies = c.replyCount - base;
      const other = await sendWithNodemailer(t.port, { from: 'app@example.com', to: 'after@example.net', subject: 'after flood', html: '<p>x</p>' });
      return { commands: count, replies, overflowReply: /554 5\.5\.0/.test(c.text), heapGrowthMB, servesAfter: other.code === 250 };
    } finally {
      c.destroy();
    }
  });
}

/** `count` RCPTs in one write: the first maxRecipients get 250, the rest 452 4.5.3; the message is then accepted. */
export async function recipientFlood(count: number): Promise<{ accepted: number; tooMany: number; other: number; dataReply: string }> {
  return withRelay({}, async (t) => {
    const c = await greeted(t.port);
    try {
      c.write('EHLO rcpt.example\r\nMAIL FROM:<app@example.com>\r\n');
      await c.waitFor(/^250 2\.1\.0/m);
      const from = c.text.length;
      const base = c.replyCount;
      let rcpts = '';
      for (let i = 0; i < count; i++) rcpts += `RCPT TO:<r${i}@example.net>\r\n`;
      c.write(rcpts);
      await c.until(() => c.replyCount - base >= count || c.isClosed, `${count} RCPT replies`, 60_000);
      const lines = c.text.slice(from).split('\r\n').filter((l) => l.length > 0);
      const accepted = lines.filter((l) => l.startsWith('250')).length;
      const tooMany = lines.filter((l) => l.startsWith('452 4.5.3')).length;
      const before = c.text.length;
      c.write(`DATA\r\n`);
      await c.waitFor(/^354 /m, 10_000, before);
      c.write(html('many recipients') + '\r\n.\r\n');
      await c.waitFor(/^[245]\d\d .*\r\n/m, 30_000, before + 5);
      const dataReply = /^[245]\d\d .*$/gm.exec(c.text.slice(before).split('\r\n').slice(1).join('\r\n'))?.[0] ?? '';
      return { accepted, tooMany, other: lines.length - accepted - tooMany, dataReply };
    } finally {
      c.destroy();
    }
  });
}

// ---- AUTH brute force -----------------------------------------------------------------------------------

export interface BruteForceFigures {
  sessions: number;
  failuresBefore421: number;
  sessionCutAfter: number;
  blockedReply: string;
  validKeyBlocked: boolean;
}

/** Wrong keys from one address: 3 failures per session then 421 and close; past the per-minute limit, 421 4.7.0. */
export async function authBruteForce(maxSessions: number): Promise<BruteForceFigures> {
  const wrong = Buffer.from('\0user\0txr_wrong_key_0000000000000000000000000000').toString('base64');
  return withRelay({ maxAuthFailures: 3, maxAuthFailuresPerAddressPerMinute: 10 }, async (t) => {
    let failures = 0;
    let sessionCutAfter = 0;
    let blockedReply = '';
    let sessions = 0;
    for (; sessions < maxSessions && blockedReply === ''; sessions++) {
      const c = await greeted(t.port);
      try {
        c.write('EHLO brute.example\r\n');
        await c.waitFor(/^250 /m);
        let inSession = 0;
        while (!c.isClosed && inSession < 10) {
          const from = c.text.length;
          c.write(`AUTH PLAIN ${wrong}\r\n`);
          await c.until(() => /^\d{3} .*\r\n/m.test(c.text.slice(from)) || c.isClosed, 'AUTH reply', 15_000);
          const reply = c.text.slice(from);
          if (reply.startsWith('535')) {
            failures++;
            inSession++;
          }
          if (/^421 4\.7\.0/m.test(reply)) {
            if (inSession === 0 || !reply.startsWith('535')) {
              if (inSession === 0) blockedReply = /^421 .*$/m.exec(reply)![0].trim();
            }
            break;
          }
        }
        await c.waitClosed(5000).catch(() => undefined);
        if (inSession > 0 && sessionCutAfter === 0) sessionCutAfter = inSession;
      } finally {
        c.destroy();
      }
    }
    // Blocked means blocked: even the right key is refused from this address for the rest of the minute.
    const c = await greeted(t.port);
    let validKeyBlocked = false;
    try {
      c.write('EHLO brute.example\r\n');
      await c.waitFor(/^250 /m);
      const from = c.text.length;
      c.write(`AUTH PLAIN ${Buffer.from(`\0user\0${KEY_A}`).toString('base64')}\r\n`);
      await c.until(() => /^\d{3} .*\r\n/m.test(c.text.slice(from)) || c.isClosed, 'AUTH reply', 15_000);
      validKeyBlocked = /^421 4\.7\.0/m.test(c.text.slice(from));
    } finally {
      c.destroy();
    }
    return { sessions, failuresBefore421: failures, sessionCutAfter, blockedReply, validKeyBlocked };
  });
}

// ---- foreign protocols, smuggling, STARTTLS injection ---------------------------------------------------

export async function foreignProtocol(bytes: Buffer): Promise<{ reply: string; closed: boolean }> {
  return withRelay({}, async (t) => {
    const c = await greeted(t.port);
    try {
      const from = c.text.length;
      c.write(bytes);
      await c.waitClosed(10_000);
      return { reply: c.text.slice(from).trim(), closed: c.isClosed };
    } finally {
      c.destroy();
    }
  });
}

export const SMUGGLING_SEQUENCES: Record<string, string> = {
  '<LF>.<LF>': '\n.\n',
  '<LF>.<CR><LF>': '\n.\r\n',
  '<CR><LF>.<LF>': '\r\n.\n',
  '<CR>.<CR>': '\r.\r',
  '<CR><LF>.<CR>': '\r\n.\r',
  '<CR><CR><LF>.<CR><CR><LF>': '\r\r\n.\r\r\n',
  'bare CR inside a line': '\r\nX-Mid: a\rb\r\n',
  'bare LF inside a line': '\r\nX-Mid: a\nb\r\n',
};

export interface SmugglingFigures {
  attempts: number;
  refused521: number;
  /** Attempts answered 250 once: the smuggled text stayed body of the one message (normalize mode). */
  acceptedOnce: number;
  /** Messages with the subject "smuggled" that reached the outbox or the upstream: must be 0. */
  smuggledDelivered: number;
  /** Messages with the subject "first" that reached the outbox or the upstream. */
  firstDelivered: number;
}

/**
 * Every smuggling sequence, then a control message. Strict listeners: each attempt gets 521 5.5.2 and close.
 * Normalize listeners: a sequence with a bare CR gets 521; the others are content of one message. With an
 * `upstreamPort`, account a's route is a smarthost there, so what reaches a real SMTP server is counted.
 */
export async function smugglingSuite(repeats: number, lineEndings: 'strict' | 'normalize' = 'strict', upstream?: TestUpstream): Promise<SmugglingFigures> {
  const limits = { maxConnections: 5000, maxConnectionsPerAddress: 5000, authFailureDelayMs: 10 };
  const t = await startTestRelay((json) => {
    json['limits'] = limits;
    for (const l of json['listeners'] as Record<string, unknown>[]) l['lineEndings'] = lineEndings;
    if (upstream) {
      json.accounts[0]!['routes'] = { main: { type: 'smtp', host: '127.0.0.1', port: upstream.port, tls: 'none' } };
    }
  });
  try {
    let attempts = 0;
    let refused521 = 0;
    let acceptedOnce = 0;
    for (let r = 0; r < repeats; r++) {
      for (const [name, seq] of Object.entries(SMUGGLING_SEQUENCES)) {
        const c = await greeted(t.port);
        try {
          const smuggled = `MAIL FROM:<app@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n${html('smuggled')}\r\n.\r\n`;
          c.write(transaction(`${html('first')}${seq}${smuggled}`) + (lineEndings === 'normalize' ? 'QUIT\r\n' : ''));
          await c.waitClosed(10_000);
          attempts++;
          const queued = c.text.match(/^250 2\.0\.0 Ok: queued/gm)?.length ?? 0;
          if (/^521 5\.5\.2 /m.test(c.text)) refused521++;
          else if (lineEndings === 'normalize' && queued === 1) acceptedOnce++;
          else assert.fail(`${name}: neither 521 5.5.2 nor one message queued; got ${JSON.stringify(c.text)}`);
          if (lineEndings === 'strict') assert.equal(queued, 0, `${name}: a message was queued`);
        } finally {
          c.destroy();
        }
      }
    }
    // Control: a proper message is delivered, so an absent smuggled message is a real absence.
    const ok = await sendWithNodemailer(t.port, { from: 'app@example.com', to: 'control@example.net', subject: 'control', html: '<p>c</p>' });
    assert.equal(ok.code, 250, ok.response);
    let subjects: (string | undefined)[];
    if (upstream) {
      const deadline = Date.now() + 10_000;
      while (!upstream.received.some((m) => m.mail.subject === 'control') && Date.now() < deadline) await sleep(20);
      await sleep(200);
      subjects = upstream.received.map((m) => m.mail.subject);
    } else {
      await waitForSubject(t.outbox('out-main'), 'control');
      await sleep(200);
      const all = await rawOutbox(t.outbox('out-main'));
      const { simpleParser } = await import('mailparser');
      const { readFile } = await import('node:fs/promises');
      const { join } = await import('node:path');
      subjects = await Promise.all(all.map(async (n) => (await simpleParser(await readFile(join(t.outbox('out-main'), n)))).subject));
    }
    assert.equal(subjects.filter((s) => s === 'control').length, 1);
    return {
      attempts,
      refused521,
      acceptedOnce,
      smuggledDelivered: subjects.filter((s) => s === 'smuggled').length,
      firstDelivered: subjects.filter((s) => s === 'first').length,
    };
  } finally {
    await t.stop();
  }
}

/** `STARTTLS\r\nRSET\r\n` in one write: the RSET is never answered over TLS (CVE-2011-0411). */
export async function startTlsInjection(): Promise<{ reply: string; answeredOverTls: boolean; closed: boolean }> {
  return withRelay({}, async (t) => {
    const c = await greeted(t.port);
    try {
      c.write('EHLO inject.example\r\n');
      await c.waitFor(/^250 /m);
      const from = c.text.length;
      c.write('STARTTLS\r\nRSET\r\n');
      await c.waitFor(/^(220|554) .*\r\n/m, 10_000, from);
      const reply = /^(220|554) .*$/m.exec(c.text.slice(from))![0].trim();
      if (reply.startsWith('554')) {
        await c.waitClosed(10_000);
        return { reply, answeredOverTls: false, closed: true };
      }
      await c.startTls();
      await sleep(500);
      const answeredOverTls = c.text.length > 0;
      return { reply, answeredOverTls, closed: c.isClosed };
    } finally {
      c.destroy();
    }
  });
}
