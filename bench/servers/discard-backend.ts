// A Backend for our engine that accepts every envelope and drops every body: it measures the engine alone.
import type { Backend, DataSink, Session, SessionState } from '../../src/protocol/backend.js';
import { SmtpError } from '../../src/protocol/reply.js';

// The sink keeps nothing, so one shared instance serves every message; end() returning nothing means 250 2.0.0 Ok.
const DISCARD_SINK: DataSink = {
  write() {},
  end() {},
  abort() {},
};

/** Accepts every MAIL/RCPT; with `authKey`, AUTH must succeed with that key (as password) before MAIL. */
export function discardBackend(authKey?: string): Backend {
  // Sessions hold no state of their own (the engine passes SessionState), so they share one object too.
  const session: Session = {
    mail(_from: string, _params: unknown, state: SessionState) {
      if (authKey !== undefined && state.authUser === null) throw new SmtpError(530, '5.7.0', 'Authentication required');
    },
    rcpt() {},
    data() {
      return DISCARD_SINK;
    },
    reset() {},
    close() {},
  };
  if (authKey !== undefined) {
    session.auth = (_mechanism, _username, password) => {
      if (password !== authKey) throw new SmtpError(535, '5.7.8', 'Authentication credentials invalid');
    };
  }
  return { connect: () => session };
}
