// The admin server's path patterns: "/api/stats" (exact), "/api/accounts/{id}/keys/{keyId}" ({name} is one path
// segment, percent-decoded) and "/api/things/{rest*}" (one or more trailing segments, kept as written).
// Exact paths are one Map lookup; patterns are tried most specific first (a literal segment beats a parameter at the
// same position), so "/suppressions/import" is never taken for an address. The table is data: the OpenAPI test
// reads `patterns()` to check the description against every route.
import { AdminRequestError } from './query.js';

export interface PathMatch<R> {
  route: R;
  /** The pattern as written in the table ("/api/accounts/{id}/keys"). */
  pattern: string;
  /** Parameters by name, percent-decoded (a trailing `{name*}` is the raw rest of the path). */
  params: Record<string, string>;
}

type Segment = { literal: string } | { param: string; rest: boolean };

interface CompiledPattern<R> {
  pattern: string;
  segments: Segment[];
  route: R;
}

const PARAM = /^\{([A-Za-z][A-Za-z0-9]*)(\*?)\}$/;

export class PathRouter<R> {
  private readonly exact = new Map<string, R>();
  private readonly patterned: CompiledPattern<R>[] = [];
  private readonly order: string[] = [];

  constructor(entries: Iterable<readonly [string, R]>) {
    for (const [pattern, route] of entries) {
      if (this.order.includes(pattern)) throw new TypeError(`admin route ${pattern} is defined twice`);
      this.order.push(pattern);
      if (!pattern.includes('{')) {
        this.exact.set(pattern, route);
        continue;
      }
      const segments = pattern.split('/').slice(1).map((s, i, all): Segment => {
        const m = PARAM.exec(s);
        if (m === null) {
          if (s.includes('{') || s.includes('}')) throw new TypeError(`admin route ${pattern}: a parameter must be a whole segment`);
          return { literal: s };
        }
        if (m[2] === '*' && i !== all.length - 1) throw new TypeError(`admin route ${pattern}: {${m[1]}*} must be the last segment`);
        return { param: m[1]!, rest: m[2] === '*' };
      });
      this.patterned.push({ pattern, segments, route });
    }
    this.patterned.sort((a, b) => specificity(a.segments, b.segments));
  }

  /** The route of a path (URL.pathname, still percent-encoded), or null. A malformed %-escape is a 400 naming the parameter. */
  match(path: string): PathMatch<R> | null {
    const exact = this.exact.get(path);
    if (exact !== undefined) return { route: exact, pattern: path, params: {} };
    const parts = path.split('/').slice(1);
    for (const p of this.patterned) {
      const params = matchSegments(p.segments, parts);
      if (params !== null) return { route: p.route, pattern: p.pattern, params };
    }
    return null;
  }

  /** Every pattern, in table order. */
  patterns(): string[] {
    return [...this.order];
  }

  /** The route of a pattern as written in the table. */
  get(pattern: string): R | undefined {
    return this.exact.get(pattern) ?? this.patterned.find((p) => p.pattern === pattern)?.route;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ('literal' in s) {
      if (parts[i] !== s.literal) return null;
      continue;
    }
    if (s.rest) {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.some((r) => r === '')) return null;
      params[s.param] = rest.join('/');
      return params;
    }
    const raw = parts[i];
    if (raw === undefined || raw === '') return null;
    params[s.param] = decodeSegment(s.param, raw);
  }
  return parts.length === segments.length ? params : null;
}

function decodeSegment(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw AdminRequestError.badParameter(name, 'is not valid percent-encoding (encode the value with encodeURIComponent)');
  }
}

/** Literal before parameter before rest, position by position; then the longer pattern first. */
function specificity(a: Segment[], b: Segment[]): number {
  const rank = (s: Segment | undefined): number => (s === undefined ? 3 : 'literal' in s ? 0 : s.rest ? 2 : 1);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = rank(a[i]) - rank(b[i]);
    if (d !== 0) return d;
  }
  return 0;
}
