// The backend side of the engine interface for tests: records every call and collects body bytes.
import type { Backend, ConnectionInfo, DataSink, MailParams, Session, SessionState } from '../../src/protocol/backend.js';
import { SmtpError, type SmtpReply } from '../../src/protocol/reply.js';

export interface RecordedMessage {
  from: string;
  to: string[];
  body: Buffer;
  params: MailParams;
  authUser: string | null;
  tls: boolean;
}

export interface RecordingBackendOptions {
  /** Answer every call through a promise (a backend doing I/O). */
  async?: boolean;
  /** Accepted AUTH password; other passwords get 535 5.7.8. Absent: no auth() method at all. */
  password?: string;
  /** RCPT addresses refused with 550 5.1.1. */
  refuseRcpt?: string[];
  /** Reply to give at end of data. */
  endReply?: SmtpReply;
  /** Refuse connections with this error. */
  refuseConnect?: SmtpError;
}

export class RecordingBackend implements Backend {
  readonly calls: string[] = [];
  readonly messages: RecordedMessage[] = [];
  readonly aborted: string[] = [];
  connections: ConnectionInfo[] = [];
  sessionsOpen = 0;
  closes = 0;

  constructor(private readonly options: RecordingBackendOptions = {}) {}

  private answer<T>(value: () => T): T | Promise<T> {
    if (!this.options.async) return value();
    return new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(value());
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  connect(connection: ConnectionInfo): Session | Promise<Session> {
    this.calls.push('connect');
    this.connections.push(connection);
    if (this.options.refuseConnect) throw this.options.refuseConnect;
    return this.answer(() => {
      this.sessionsOpen++;
      return this.session();
    });
  }

  private session(): Session {
    const backend = this;
    const opts = this.options;
    let from = '';
    let params: MailParams = { size: null, body: null, smtputf8: false };
    let to: string[] = [];
    const session: Session = {
      mail(f: string, p: MailParams) {
        backend.calls.push(`mail ${f}`);
        return backend.answer(() => {
          from = f;
          params = p;
          to = [];
        });
      },
      rcpt(t: string) {
        backend.calls.push(`rcpt ${t}`);
        return backend.answer(() => {
          if (opts.refuseRcpt?.includes(t)) throw new SmtpError(550, '5.1.1', 'No such user');
          to.push(t);
        });
      },
      data(state: SessionState) {
        backend.calls.push('data');
        return backend.answer((): DataSink => {
          const chunks: Buffer[] = [];
          let done = false;
          return {
            write(chunk: Buffer) {
              if (done) throw new Error('write after end/abort');
              chunks.push(Buffer.from(chunk));
            },
            end() {
              done = true;
              backend.calls.push('end');
              return backend.answer(() => {
                backend.messages.push({ from, to: [...to], body: Buffer.concat(chunks), params, authUser: state.authUser, tls: state.tls !== null });
                return opts.endReply;
              });
            },
            abort(reason: string) {
              done = true;
              backend.calls.push('abort');
              backend.aborted.push(reason);
            },
          };
        });
      },
      reset() {
        backend.calls.push('reset');
      },
      close() {
        backend.calls.push('close');
        backend.closes++;
        backend.sessionsOpen--;
      },
    };
    if (opts.password !== undefined) {
      session.auth = (mechanism, username, password) => {
        backend.calls.push(`auth ${mechanism} ${username}`);
        return backend.answer(() => {
          if (password !== opts.password) throw new SmtpError(535, '5.7.8', 'Authentication credentials invalid');
        });
      };
    }
    return session;
  }
}
