// What /api/queue shows: per route of each account, the spooled messages still waiting for a recipient and, for
// routes with destinations (mx), each destination's waiting deliveries, connections, last error and pause.
import type { RouteDestinationState } from '../delivery/route.js';

/** A configured route as the queue report needs it (a Route, with its account). */
export interface QueuedRouteSource {
  account: string;
  name: string;
  type: string;
  destinations?(): RouteDestinationState[];
}

/** A spooled message as the queue report needs it (a SpoolEntry). */
export interface QueuedMessageSource {
  account: string;
  route: string;
  recipients: readonly { status: string }[];
}

export interface QueueRoute {
  account: string;
  route: string;
  /** The route's type, or null when the configuration no longer has it (its messages wait in the spool). */
  type: string | null;
  /** Spooled messages with a recipient still pending (waiting for an attempt, a retry or a connection). */
  messages: number;
  /** Their pending recipients. */
  recipients: number;
  /** Per destination for routes that have them (mx), busiest first (waiting, then connections); else null. */
  destinations: RouteDestinationState[] | null;
}

/** The report, one row per configured route plus one per route the spool still names; sorted by account, route. */
export function queueReport(routes: readonly QueuedRouteSource[], pending: readonly QueuedMessageSource[]): QueueRoute[] {
  const rows = new Map<string, QueueRoute>();
  for (const r of routes) {
    const destinations = r.destinations ? r.destinations().sort((a, b) => b.waiting - a.waiting || b.connections - a.connections || a.destination.localeCompare(b.destination)) : null;
    rows.set(`${r.account}\u0000${r.name}`, { account: r.account, route: r.name, type: r.type, messages: 0, recipients: 0, destinations });
  }
  for (const m of pending) {
    const key = `${m.account}\u0000${m.route}`;
    let row = rows.get(key);
    if (!row) {
      row = { account: m.account, route: m.route, type: null, messages: 0, recipients: 0, destinations: null };
      rows.set(key, row);
    }
    let waiting = 0;
    for (const r of m.recipients) if (r.status === 'pending') waiting++;
    if (waiting === 0) continue;
    row.messages++;
    row.recipients += waiting;
  }
  return [...rows.values()].sort((a, b) => a.account.localeCompare(b.account) || a.route.localeCompare(b.route));
}
