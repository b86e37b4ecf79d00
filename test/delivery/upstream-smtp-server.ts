// An in-process upstream smarthost built on the `smtp-server` package, with replies scripted per test.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  body: Buffer;
  /** smtp-server's session id: messages with the same one came over the same connection. */
  session: string;
  secure: boolean;
  user: string | null;
}

/** A reply for a scripted refusal: code and text. null accepts. */
export interface ScriptedReply {
  code: number;
  text: string;
}

export interface SmtpServerUpstreamOptions {
  /** PEM key and certificate: STARTTLS offered. Without them STARTTLS is hidden. */
  tls?: { key: Buffer; cert: Buffer };
  /** Require AUTH with these credentials (PLAIN and LOGIN offered, only after STARTTLS). */
  auth?: { username: string; password: string };
  authMethods?: string[];
  hidePipelining?: boolean;
  /** Answer EHLO as an unknown command (500), as a pre-ESMTP server would. */
  disableEhlo?: boolean;
  hideSmtputf8?: boolean;
  size?: number;
  /** Refuse a recipient (n = how many times this address was seen before, from 0). */
  rcpt?(address: string, n: number): ScriptedReply | null;
  /** Refuse the message at the final dot. */
  data?(message: ReceivedMessage, n: number): ScriptedReply | null;
  /** RCPT replies wait for this promise (a test releases them when it has looked at the state meanwhile). */
  rcptGate?: Promise<void>;
  /** Delay before answering RCPT, in ms (n as for rcpt; answers never come when the server closes first). */
  rcptDelayMs?: number | ((address: string, n: number) => number);
  /** Cut the connection once this many bytes of DATA arrived, the first `dropTimes` messages (default 1). */
  dropDuringData?: { afterBytes: number; times?: number };
}

export interface SmtpServerUpstream {
  port: number;
  readonly messages: ReceivedMessage[];
  connections: number;
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

function refusal(r: ScriptedReply): Error {
  return Object.assign(new Error(r.text), { responseCode: r.code });
}

export async function startSmtpServerUpstream(o: SmtpServerUpstreamOptions = {}): Promise<SmtpServerUpstream> {
  const messages: ReceivedMessage[] = [];
  const waiters: { count: number; resolve(): void }[] = [];
  const rcptSeen = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let dataCount = 0;
  let drops = 0;
  const state = { connections: 0 };
  const config: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 100,
    size: o.size ?? 10 * 1024 * 1024,
    hideSTARTTLS: o.tls === undefined,
    hidePIPELINING: o.hidePipelining ?? false,
    hideSMTPUTF8: o.hideSmtputf8 ?? false,
    authOptional: o.auth === undefined,
    authMethods: o.authMethods ?? ['PLAIN', 'LOGIN'],
    onConnect(_session, cb) {
      state.connections++;
      cb();
    },
    onRcptTo(address, _session, cb) {
      const n = rcptSeen.get(address.address) ?? 0;
      rcptSeen.set(address.address, n + 1);
      const answer = (): void => {
        const r = o.rcpt?.(address.address, n) ?? null;
        cb(r ? refusal(r) : null);
      };
      if (o.rcptGate) return void o.rcptGate.then(answer);
      const delay = typeof o.rcptDelayMs === 'function' ? o.rcptDelayMs(address.address, n) : (o.rcptDelayMs ?? 0);
      if (delay <= 0) return answer();
      const t = setTimeout(() => {
        timers.delete(t);
        answer();
      }, delay);
      timers.add(t);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const drop = o.dropDuringData && drops < (o.dropDuringData.times ?? 1) ? o.dropDuringData : null;
      let cut = false;
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        bytes += c.length;
        if (drop && !cut && bytes >= drop.afterBytes) {
          drops++;
          cut = true;
          connectionOf(server, session)?.destroy();
        }
      });
      stream.on('end', () => {
        // A cut connection never got its 250: the message was not accepted.
        if (cut) return cb(refusal({ code: 421, text: 'connection lost' }));
        const message: ReceivedMessage = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body: Buffer.concat(chunks),
          session: session.id,
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
        };
        const r = o.data?.(message, dataCount++) ?? null;
        if (r) return cb(refusal(r));
        messages.push(message);
        for (const w of waiters.splice(0)) {
          if (messages.length >= w.count) w.resolve();
          else waiters.push(w);
        }
        cb(null, 'Ok: queued');
      });
    },
  };
  if (o.tls) {
    config.key = o.tls.key;
    config.cert = o.tls.cert;
  }
  if (o.auth) {
    const { username, password } = o.auth;
    config.onAuth = (auth, _session, cb) => {
      if (auth.username === username && auth.password === password) cb(null, { user: username });
      else cb(refusal({ code: 535, text: 'Authentication credentials invalid' }));
    };
  } else config.disabledCommands = ['AUTH'];
  if (o.disableEhlo) config.disabledCommands = [...(config.disabledCommands ?? []), 'EHLO'];
  const server = new SMTPServer(config);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    get connections() {
      return state.connections;
    },
    waitFor(count) {
      if (messages.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
      }),
  };
}

/** The socket of a session (smtp-server keeps its connections in a set; the test needs one to cut it). */
function connectionOf(server: SMTPServer, session: SMTPServerSession): { destroy(): void } | null {
  const connections = (server as unknown as { connections: Set<{ session: SMTPServerSession; _socket: { destroy(): void } }> }).connections;
  for (const c of connections) if (c.session === session) return c._socket;
  return null;
}
