// The AUTH exchange of one session (RFC 4954): PLAIN and LOGIN, with or without an initial response, and the
// failure rules (a growing delay per failure, the last allowed failure hangs up, the per-address block).
import type { SessionState, Session } from './backend.js';
import type { AuthFailureCounter } from './auth-failures.js';
import { closing, type Outcome } from './commands.js';
import type { EngineConfig } from './options.js';
import { decodeAuthResponse, parseAuthPlain } from './parse.js';
import { smtpReply, type SmtpReply } from './reply.js';
import { R } from './replies.js';

const enum AuthStage {
  None,
  PlainResponse,
  LoginUsername,
  LoginPassword,
}

/** What the exchange needs from its session. */
export interface AuthOwner {
  readonly remoteAddress: string;
  /** The reply for a backend error (SmtpError's own, else 451 4.3.0 logged). */
  replyForError(err: unknown): SmtpReply;
  /** The session will end for `reason` (set when decided, before the delayed reply leaves). */
  ending(reason: string): void;
}

/** The session state the backend sees; a successful AUTH sets authUser. */
export type AuthState = SessionState & { authUser: string | null };

const CHALLENGE_USERNAME = 'VXNlcm5hbWU6'; // "Username:"
const CHALLENGE_PASSWORD = 'UGFzc3dvcmQ6'; // "Password:"
const RATE_LIMITED = closing(R.tooManyAuthFailures, 'auth-rate-limit');

export class AuthExchange {
  private stage = AuthStage.None;
  private mechanism: 'PLAIN' | 'LOGIN' = 'PLAIN';
  private username = '';
  private failures = 0;

  constructor(
    private readonly config: EngineConfig,
    private readonly counter: AuthFailureCounter,
    private readonly owner: AuthOwner,
  ) {}

  /** A 334 challenge is out: the next line is a response, not a command. */
  get awaitingResponse(): boolean {
    return this.stage !== AuthStage.None;
  }

  /** The exchange is abandoned (the response line was too long). */
  cancel(): void {
    this.stage = AuthStage.None;
  }

  /** `AUTH <mechanism> [initial-response]`, once the session's sequencing allowed it. */
  begin(argument: string, session: Session, state: AuthState): Outcome {
    if (this.counter.isBlocked(this.owner.remoteAddress)) return RATE_LIMITED;
    const space = argument.indexOf(' ');
    const mechanism = (space < 0 ? argument : argument.slice(0, space)).toUpperCase();
    const initial = space < 0 ? null : argument.slice(space + 1).trim();
    if ((mechanism !== 'PLAIN' && mechanism !== 'LOGIN') || !this.config.authMechanisms.includes(mechanism)) {
      return smtpReply(504, '5.5.4', 'Unrecognized authentication mechanism');
    }
    this.mechanism = mechanism;
    if (mechanism === 'PLAIN') {
      if (initial === null) return this.challenge(AuthStage.PlainResponse, '');
      return this.plain(initial, session, state);
    }
    if (initial === null) return this.challenge(AuthStage.LoginUsername, CHALLENGE_USERNAME);
    const user = decodeAuthResponse(initial);
    if (user === null) return R.authBadBase64;
    this.username = user.toString('utf8');
    return this.challenge(AuthStage.LoginPassword, CHALLENGE_PASSWORD);
  }

  /** A continuation line; RFC 4954 §4: "*" cancels the exchange. */
  respond(line: string, session: Session, state: AuthState): Outcome {
    const stage = this.stage;
    this.stage = AuthStage.None;
    const text = line.trim();
    if (text === '*') return R.authCancelled;
    if (stage === AuthStage.PlainResponse) return this.plain(text, session, state);
    const decoded = decodeAuthResponse(text);
    if (decoded === null) return R.authBadBase64;
    if (stage === AuthStage.LoginUsername) {
      this.username = decoded.toString('utf8');
      return this.challenge(AuthStage.LoginPassword, CHALLENGE_PASSWORD);
    }
    return this.verify(this.username, decoded.toString('utf8'), session, state);
  }

  private challenge(stage: AuthStage, text: string): SmtpReply {
    this.stage = stage;
    return smtpReply(334, '', text);
  }

  private plain(response: string, session: Session, state: AuthState): Outcome {
    const decoded = decodeAuthResponse(response);
    if (decoded === null) return R.authBadBase64;
    const credentials = parseAuthPlain(decoded);
    if (credentials === null) return R.authBadPlain;
    return this.verify(credentials.username, credentials.password, session, state);
  }

  private verify(username: string, password: string, session: Session, state: AuthState): Outcome {
    let result: Promise<void> | void;
    try {
      result = session.auth!(this.mechanism, username, password, state);
    } catch (err) {
      return this.failed(err);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => succeeded(state, username),
        (err: unknown) => this.failed(err),
      );
    }
    return succeeded(state, username);
  }

  /** A growing delay per failure (1x, 2x, ... authFailureDelayMs); the last allowed failure also hangs up. */
  private failed(err: unknown): Outcome {
    const reply = this.owner.replyForError(err);
    if (reply.code < 500) return reply; // a temporary backend problem is not the client's failure
    this.failures++;
    this.counter.record(this.owner.remoteAddress);
    let outcome: SmtpReply | ReturnType<typeof closing> = reply;
    if (this.failures >= this.config.maxAuthFailures) {
      this.owner.ending('too-many-auth-failures');
      outcome = closing(reply, 'too-many-auth-failures', R.tooManyAuthFailures);
    }
    const delay = this.config.authFailureDelayMs * this.failures;
    if (delay === 0) return outcome;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(outcome), delay);
      timer.unref();
    });
  }
}

function succeeded(state: AuthState, username: string): SmtpReply {
  state.authUser = username;
  return R.authOk;
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}
