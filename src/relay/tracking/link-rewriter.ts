// Rewrites the tracked links of an HTML body and adds the open pixel, touching no byte outside what it rewrites.
// htmlparser2 (not parse5): it streams, is fast, and reports where each attribute starts and ends in the source, so
// the rewriter splices only the bytes of an href's value; parse5 would hand back a tree to re-serialize, changing
// bytes (quotes, entities, whitespace) the sender wrote. Its tokenizer follows the browser's rules for raw text
// (script, style, textarea) and comments, so an "<a href" inside them is not a link.
import { Parser } from 'htmlparser2';

export interface RewriteOptions {
  /** Rewrite the tracked links (clicks). */
  clicks: boolean;
  /** The new URL of the link that becomes links[index]. */
  clickUrl(index: number): string;
  /** The open pixel's URL; null = no pixel. */
  pixelUrl: string | null;
  /** Links starting with one of these are never tracked (the unsubscribe link). */
  skipPrefixes?: readonly string[];
}

export interface RewriteResult {
  html: string;
  /** The original URL of every rewritten link, in document order: link i became clickUrl(i). */
  links: string[];
}

/** Where one href value sits in the source: [start, end), and its value as a browser reads it (entities decoded). */
interface HrefSpan {
  start: number;
  end: number;
  value: string;
}

const TRACKED_TAGS = new Set(['a', 'area']);
const HTTP = /^\s*https?:\/\//i;

/** The http(s) links of <a href> and <area href> a click would follow, except those marked data-track="off". */
export function findTrackedLinks(html: string, skipPrefixes: readonly string[] = []): { spans: HrefSpan[]; bodyClose: number } {
  const spans: HrefSpan[] = [];
  let pending: HrefSpan | null = null;
  let bodyClose = -1;
  const parser: Parser = new Parser(
    {
      onopentagname() {
        pending = null;
      },
      onattribute(name, value, quote) {
        if (name !== 'href' || pending !== null || quote === undefined) return;
        // startIndex is the name's first byte, endIndex one past the value (past its closing quote when quoted).
        const end = quote === null ? parser.endIndex : parser.endIndex - 1;
        const start = quote === null ? valueStartUnquoted(html, parser.startIndex + name.length) : html.indexOf(quote, parser.startIndex + name.length) + 1;
        pending = { start, end, value };
      },
      onopentag(tag, attribs) {
        const span = pending;
        pending = null;
        if (span === null || !TRACKED_TAGS.has(tag)) return;
        if ((attribs['data-track'] ?? '').trim().toLowerCase() === 'off') return;
        if (!HTTP.test(span.value)) return; // mailto:, tel:, #anchors, relative links
        const url = span.value.trim();
        if (skipPrefixes.some((p) => url.startsWith(p))) return;
        spans.push({ ...span, value: url });
      },
      onclosetag(tag, isImplied) {
        if (tag === 'body' && !isImplied) bodyClose = parser.startIndex;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  return { spans, bodyClose };
}

/** After the name: spaces, '=', spaces, then the unquoted value. */
function valueStartUnquoted(html: string, i: number): number {
  while (i < html.length && html[i] !== '=') i++;
  i++;
  while (i < html.length && /[\t\n\f\r ]/.test(html[i]!)) i++;
  return i;
}

export function pixelTag(url: string): string {
  return `<img src="${url}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0">`;
}

/** Where the tracked links and the last </body> of one HTML body are: findTrackedLinks(), computed once per message. */
export type TrackedLinks = ReturnType<typeof findTrackedLinks>;

/**
 * The body with its tracked links replaced by clickUrl(i) and the pixel before the last </body> (or at the end).
 * `found` is findTrackedLinks(html, o.skipPrefixes) when the caller rewrites the same body for several recipients.
 */
export function rewriteHtml(html: string, o: RewriteOptions, found: TrackedLinks = findTrackedLinks(html, o.skipPrefixes)): RewriteResult {
  const { spans, bodyClose } = found;
  const links: string[] = [];
  const parts: string[] = [];
  let at = 0;
  const pixelAt = o.pixelUrl === null ? -1 : bodyClose < 0 ? html.length : bodyClose;
  const take = (to: number): void => {
    if (pixelAt >= at && pixelAt <= to && o.pixelUrl !== null && !pixelDone) {
      parts.push(html.slice(at, pixelAt), pixelTag(o.pixelUrl));
      at = pixelAt;
      pixelDone = true;
    }
    parts.push(html.slice(at, to));
    at = to;
  };
  let pixelDone = false;
  if (o.clicks) {
    for (const span of spans) {
      take(span.start);
      parts.push(o.clickUrl(links.length));
      links.push(span.value);
      at = span.end;
    }
  }
  take(html.length);
  return { html: parts.join(''), links };
}
