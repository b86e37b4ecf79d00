// What an SMTP transaction's reply or error means for one recipient; shared by the routes that speak SMTP (smtp, mx).
//
// 2xx delivered; 4xx deferred; 5xx failed, with the upstream reply. A failure is a hard bounce (the scheduler
// suppresses the address) when it proves the address bad: a 5xx to RCPT, or any 5xx whose enhanced code is about
// the address or mailbox (5.1.x, 5.2.x, RFC 3463). A 5xx to the content (e.g. 554 5.7.1 at the final dot) or to
// MAIL FROM (prefixed "MAIL FROM refused:") fails this message only. A client error defers, unless it is a local
// refusal no retry can change (needs SMTPUTF8, exceeds SIZE, malformed address).
import { SmtpClientError, formatClientReply, type RecipientReply } from '../../protocol/index.js';
import type { RecipientOutcome } from './route.js';

export function outcomeOfReply(address: string, d: RecipientReply): RecipientOutcome {
  const reply = formatClientReply(d.reply);
  if (d.accepted) return { recipient: address, status: 'delivered', reply };
  if (d.reply.code < 500) return { recipient: address, status: 'deferred', reply };
  if (d.stage === 'MAIL') return { recipient: address, status: 'failed', reply: `MAIL FROM refused: ${reply}`, hardBounce: false };
  const addressStatus = d.reply.enhanced !== null && /^5\.[12]\./.test(d.reply.enhanced);
  return { recipient: address, status: 'failed', reply, hardBounce: d.stage === 'RCPT' || addressStatus };
}

export function outcomeOfError(address: string, err: unknown): RecipientOutcome {
  const message = (err as Error).message;
  if (err instanceof SmtpClientError && err.permanent) return { recipient: address, status: 'failed', reply: `refused locally: ${message}`, hardBounce: false };
  return { recipient: address, status: 'deferred', reply: err instanceof SmtpClientError ? message : `local error: ${message}` };
}
