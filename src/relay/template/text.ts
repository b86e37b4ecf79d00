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


/**
 * markupsafe's striptags loop — `while (a = s.find(open)) and (b = s.find(close, a)): s = s[:a] + s[b+len(close):]`
 * — in one left-to-right pass (the loop above is quadratic on big inputs). A removal can join the kept
 * text and the rest into a new `open` (`<!<!---->--`), so the last few kept characters are checked too.
 */
export function removeDelimited(s: string, open: string, close: string): string {
  const kept: string[] = [];
  let i = 0;
  let afterRemoval = false;
  for (;;) {
    let start = -1;
    let joined = 0; // characters of `open` that come from the kept text
    if (afterRemoval) {
      const tail = keptTail(kept, open.length - 1);
      for (let k = Math.min(tail.length, open.length - 1); k >= 1; k--) {
        if (tail.endsWith(open.slice(0, k)) && s.startsWith(open.slice(k), i)) {
          joined = k;
          start = i;
          break;
        }
      }
    }
    if (joined === 0) {
      start = s.indexOf(open, i);
      if (start < 0) break;
    }
    // Where the rest of `open` ends in s, and the close search begins at the start of `open` (it may overlap).
    const openEnd = start + open.length - joined;
    const virtualOpen = open;
    let end = -1;
    for (let p = 1; p < open.length && end < 0; p++) {
      // A close that begins inside `open` (e.g. `<!-->`).
      const fromOpen = virtualOpen.slice(p);
      if (close.startsWith(fromOpen) && s.startsWith(close.slice(fromOpen.length), openEnd)) end = openEnd + close.length - fromOpen.length;
    }
    if (end < 0) {
      const c = s.indexOf(close, openEnd);
      if (c < 0) break;
      end = c + close.length;
    }
    if (joined > 0) dropKept(kept, joined);
    else kept.push(s.slice(i, start));
    i = end;
    afterRemoval = true;
  }
  kept.push(s.slice(i));
  return kept.join('');
}

function keptTail(kept: string[], n: number): string {
  let tail = '';
  for (let j = kept.length - 1; j >= 0 && tail.length < n; j--) tail = kept[j]! + tail;
  return tail.slice(-n);
}

function dropKept(kept: string[], n: number): void {
  while (n > 0 && kept.length > 0) {
    const last = kept.pop()!;
    if (last.length > n) {
      kept.push(last.slice(0, last.length - n));
      return;
    }
    n -= last.length;
  }
}
