// Starts a real relay (startRelay) on an ephemeral port with a temp data folder, and reads back its outbox.
import { after, before } from 'node:test';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { AddressInfo } from 'node:net';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { hashApiKey } from '../../src/relay/accept/api-key.js';
import { validateConfig, type RelayConfig } from '../../src/relay/config/index.js';
import { startRelay, type RunningRelay } from '../../src/relay/main.js';

export const KEY_A = 'txr_test_key_for_account_a_0000000000000000000';
export const KEY_B = 'txr_test_key_for_account_b_1111111111111111111';

export interface TestRelay {
  relay: RunningRelay;
  port: number;
  dir: string;
  config: RelayConfig;
  /** The outbox folder of a file route named in the config builder below. */
  outbox(name: string): string;
  stop(): Promise<void>;
}

export type ConfigPatch = (json: Record<string, unknown> & { accounts: Record<string, unknown>[] }, dir: string) => void;

/** Account "a" (KEY_A) with file route "main"; account "b" (KEY_B) with file route "other". AUTH allowed before TLS. */
export function baseConfig(dir: string): Record<string, unknown> & { accounts: Record<string, unknown>[] } {
  return {
    hostname: 'relay.test',
    listeners: [{ port: 0, host: '127.0.0.1', authBeforeTls: true }],
    dataDir: dir,
    logLevel: 'silent',
    queue: { retryMinMs: 50, retryMaxMs: 200 },
    accounts: [
      { id: 'a', name: 'Account A', apiKeys: [hashApiKey(KEY_A)], routes: { main: { type: 'file', path: join(dir, 'out-main') } } },
      { id: 'b', name: 'Account B', apiKeys: [hashApiKey(KEY_B)], routes: { other: { type: 'file', path: join(dir, 'out-other') } } },
    ],
  };
}

export function buildConfig(dir: string, patch?: ConfigPatch): RelayConfig {
  const json = baseConfig(dir);
  patch?.(json, dir);
  const { config, errors } = validateConfig(json, dir);
  if (!config) throw new Error(`test config invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return config;
}

export async function startTestRelay(patch?: ConfigPatch, existingDir?: string): Promise<TestRelay> {
  const dir = existingDir ?? (await mkdtemp(join(tmpdir(), 'txrelay-test-')));
  const config = buildConfig(dir, patch);
  const relay = await startRelay(config, pino({ level: 'silent' }));
  return {
    relay,
    port: relay.addresses[0]!.port,
    dir,
    config,
    outbox: (name) => join(dir, name),
    stop: () => relay.stop(),
  };
}

/**
 * For a describe block: starts a relay before its tests (handing it to `use`) and stops it and removes its folder
 * after them.
 */
export function relayPerSuite(use: (relay: TestRelay) => void, patch?: ConfigPatch): void {
  let t: TestRelay | null = null;
  before(async () => {
    t = await startTestRelay(patch);
    use(t);
  });
  after(async () => {
    if (t === null) return;
    await t.stop();
    await removeDir(t.dir);
  });
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Waits (bounded) until the folder holds `count` .eml files, then parses them in name order. */
export async function readOutbox(folder: string, count: number, timeoutMs = 10_000): Promise<ParsedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let names: string[] = [];
    try {
      names = (await readdir(folder)).filter((n) => n.endsWith('.eml')).sort();
    } catch {
      /* not created yet */
    }
    if (names.length >= count) {
      return Promise.all(names.map(async (n) => simpleParser(await readFile(join(folder, n)))));
    }
    if (Date.now() > deadline) throw new Error(`outbox ${folder} has ${names.length} of ${count} messages after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls (every 25 ms, bounded) until `f` returns a value; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits (bounded) until the folder holds `count` messages with this subject; returns them. */
export async function waitForSubject(folder: string, subject: string, count = 1, timeoutMs = 10_000): Promise<ParsedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await rawOutbox(folder);
    const mails = await Promise.all(names.map(async (n) => simpleParser(await readFile(join(folder, n)))));
    const hits = mails.filter((m) => m.subject === subject);
    if (hits.length >= count) return hits;
    if (Date.now() > deadline) throw new Error(`outbox ${folder} has ${hits.length} of ${count} messages "${subject}" after ${timeoutMs} ms (subjects: ${mails.map((m) => m.subject).join(' | ')})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function rawOutbox(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).filter((n) => n.endsWith('.eml')).sort();
  } catch {
    return [];
  }
}

export interface SendResult {
  ok: boolean;
  /** The final reply line (e.g. "250 2.0.0 Ok: queued as ...", "554 5.6.0 ..."). */
  response: string;
  code: number;
}

/** Sends with nodemailer; returns the server's reply to the message instead of throwing. */
export async function sendWithNodemailer(
  port: number,
  message: SendMailOptions,
  auth: { key: string } | null = { key: KEY_A },
): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...(auth ? { auth: { user: 'anything', pass: auth.key } } : {}),
  });
  try {
    const info = await transport.sendMail(message);
    return { ok: true, response: info.response, code: Number(info.response.slice(0, 3)) };
  } catch (err) {
    const e = err as { response?: string; responseCode?: number; message: string };
    return { ok: false, response: e.response ?? e.message, code: e.responseCode ?? 0 };
  } finally {
    transport.close();
  }
}

export interface TestUpstream {
  port: number;
  /** Every message received, with its envelope sender ("" for the null sender) and recipients. */
  received: { from: string; to: string[]; mail: ParsedMail }[];
  close(): Promise<void>;
}

/** A real upstream (smtp-server) that accepts every recipient except those starting with "bounce" (550 5.1.1). */
export async function startUpstream(): Promise<TestUpstream> {
  const received: TestUpstream['received'] = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    hideSTARTTLS: true,
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('bounce')) cb(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
      else cb();
    },
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (mail) => {
          const mailFrom = session.envelope.mailFrom;
          received.push({ from: mailFrom === false ? '' : mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), mail });
          cb();
        },
        cb,
      );
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.server.address() as AddressInfo).port, received, close: () => new Promise((r) => server.close(() => r())) };
}
