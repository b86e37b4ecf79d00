// The body of DATA on the wire (RFC 5321 §4.5.2): every line that starts with "." gets one more ".",
// lines end with CRLF, and the body is followed by the terminating ".\r\n" line.
// Bare CR or LF are written as CRLF, so no upstream can read a different end of data than ours (SMTP smuggling).

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const TERMINATOR = Buffer.from('.\r\n');
const CRLF_TERMINATOR = Buffer.from('\r\n.\r\n');

/**
 * Where `body` needs an extra "." (offsets of lines starting with "."), when its line endings are all CRLF; null
 * when it has a bare CR or LF. Scans with indexOf, so a clean body costs a few native calls, not a loop per byte.
 */
function dotLines(body: Buffer): number[] | null {
  const dots: number[] = body[0] === DOT ? [0] : [];
  let i = body.indexOf(LF);
  while (i >= 0) {
    if (i === 0 || body[i - 1] !== CR) return null;
    if (body[i + 1] === DOT) dots.push(i + 1);
    i = body.indexOf(LF, i + 1);
  }
  i = body.indexOf(CR);
  while (i >= 0) {
    if (body[i + 1] !== LF) return null;
    i = body.indexOf(CR, i + 1);
  }
  return dots;
}

/** The chunks to write after the 354 reply, terminating dot included. A body without dot lines is not copied. */
export function dataChunks(body: Buffer): Buffer[] {
  if (body.length === 0) return [TERMINATOR];
  const dots = dotLines(body);
  if (dots === null) return [stuff(body)];
  const endsWithCrlf = body.length >= 2 && body[body.length - 2] === CR && body[body.length - 1] === LF;
  const terminator = endsWithCrlf ? TERMINATOR : CRLF_TERMINATOR;
  return dots.length === 0 ? [body, terminator] : [insertDots(body, dots, terminator)];
}

/**
 * One copy of `body` with a "." before each offset in `dots` (ascending), copied a line run at a time, and the
 * terminator after it: the copy is made anyway, so the socket gets one buffer.
 */
function insertDots(body: Buffer, dots: number[], terminator: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length + dots.length + terminator.length);
  let from = 0;
  let o = 0;
  for (const at of dots) {
    o += body.copy(out, o, from, at);
    out[o++] = DOT;
    from = at;
  }
  o += body.copy(out, o, from);
  terminator.copy(out, o);
  return out;
}

/** Slow path (bare CR or LF): rewrites line endings and doubles leading dots, byte by byte. */
function stuff(body: Buffer): Buffer {
  // Worst case: every byte a bare LF (2 bytes) or a leading dot (2 bytes), plus a final CRLF and the terminator.
  const out = Buffer.allocUnsafe(body.length * 2 + 2 + TERMINATOR.length);
  let o = 0;
  let lineStart = true;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === CR || c === LF) {
      out[o++] = CR;
      out[o++] = LF;
      if (c === CR && body[i + 1] === LF) i++;
      lineStart = true;
      continue;
    }
    if (lineStart && c === DOT) out[o++] = DOT;
    out[o++] = c;
    lineStart = false;
  }
  if (!lineStart) {
    out[o++] = CR;
    out[o++] = LF;
  }
  o += TERMINATOR.copy(out, o);
  return out.subarray(0, o);
}
