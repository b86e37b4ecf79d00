// Which display name each recipient gets (SPEC §3): the To header carries names, the addresses come from RCPT.
import { sameAddress, type Mailbox } from '../../mime/index.js';

/**
 * Pairs the To header's entries with the RCPT addresses. An entry with an address names the first unnamed
 * recipient with that address (domain case-insensitive), never by position, and names nobody when no RCPT
 * matches; the name-only entries then pair in order with the recipients still unnamed. Extra names are ignored;
 * a recipient left over gets no name (null).
 */
export function recipientNames(to: readonly Mailbox[], recipients: readonly string[]): (string | null)[] {
  const names: (string | null)[] = new Array<string | null>(recipients.length).fill(null);
  if (to.length === 0) return names;
  // Claimed by an address entry (even one without a name, so that no name-only entry reaches it).
  const claimed: boolean[] = new Array<boolean>(recipients.length).fill(false);
  for (const entry of to) {
    if (entry.address === null) continue;
    for (let i = 0; i < recipients.length; i++) {
      if (!claimed[i] && sameAddress(entry.address, recipients[i]!)) {
        claimed[i] = true;
        names[i] = entry.name;
        break;
      }
    }
  }
  let next = 0;
  for (const entry of to) {
    if (entry.address !== null) continue;
    while (next < recipients.length && claimed[next]) next++;
    if (next === recipients.length) break;
    names[next] = entry.name;
    claimed[next] = true;
  }
  return names;
}
