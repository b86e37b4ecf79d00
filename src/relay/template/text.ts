// Python text utilities the filters need: str.splitlines, textwrap.wrap, urllib.parse.quote.

/** Python's str.splitlines(). */
export function splitLines(s: string): string[] {
  const parts = s.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

// textwrap's chunking: whitespace runs, and words that may break after a hyphen between letters.
const WS = '[ \\t\\n\\r\\f\\v]';
const LT = '[\\p{L}\\p{M}_]';
const WP = "[\\p{L}\\p{M}\\p{N}_!\"'&.,?]";
const WORD_SEPARATOR = new RegExp(
  `(${WS}+|(?<=${WP})-{2,}(?=[\\p{L}\\p{N}_])|[^ \\t\\n\\r\\f\\v]+?(?:-(?:(?<=${LT}{2}-)|(?<=${LT}-${LT}-))(?=${LT}-?${LT})|(?=${WS}|$)|(?<=${WP})(?=-{2,}[\\p{L}\\p{N}_])))`,
  'u',
);
const WHITESPACE_SEPARATOR = new RegExp(`(${WS}+)`);

/** textwrap.wrap(line, width, expand_tabs=False, replace_whitespace=False), as Jinja2's wordwrap calls it. */
export function wrapLine(line: string, width: number, breakLong: boolean, breakHyphens: boolean): string[] {
  const chunks = line.split(breakHyphens ? WORD_SEPARATOR : WHITESPACE_SEPARATOR).filter((c) => c !== undefined && c !== '');
  chunks.reverse();
  const isBlank = (c: string): boolean => c.trim() === '';
  const lines: string[] = [];
  while (chunks.length > 0) {
    const cur: string[] = [];
    let curLen = 0;
    if (isBlank(chunks[chunks.length - 1]!) && lines.length > 0) chunks.pop();
    while (chunks.length > 0) {
      const l = chunks[chunks.length - 1]!.length;
      if (curLen + l > width) break;
      cur.push(chunks.pop()!);
      curLen += l;
    }
    if (chunks.length > 0 && chunks[chunks.length - 1]!.length > width) {
      const spaceLeft = width < 1 ? 1 : width - curLen;
      if (breakLong) {
        const chunk = chunks[chunks.length - 1]!;
        let end = spaceLeft;
        if (breakHyphens && chunk.length > spaceLeft) {
          const hyphen = chunk.lastIndexOf('-', spaceLeft - 1);
          if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
        }
        cur.push(chunk.slice(0, end));
        chunks[chunks.length - 1] = chunk.slice(end);
      } else if (cur.length === 0) cur.push(chunks.pop()!);
    }
    if (cur.length > 0 && isBlank(cur[cur.length - 1]!)) cur.pop();
    if (cur.length > 0) lines.push(cur.join(''));
  }
  return lines;
}

/** urllib.parse.quote: everything but A-Z a-z 0-9 _ . - ~ (and '/' outside query strings) is %-encoded. */
export function urlQuote(s: string, forQuery: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9_.~-]/.test(c) || (!forQuery && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return forQuery ? out.replace(/%20/g, '+') : out;
}

