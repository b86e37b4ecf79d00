// Python number formatting and rounding that JavaScript does differently (ties to even, exact decimals).

/**
 * Python's `format(x, '.Nf')` / `round(x, N)`: the exact binary value rounded half to even.
 * toFixed rounds exact ties away from zero, so ties are detected from a longer exact expansion.
 */
/** x rounded to `digits` decimals as an integer count of 10^-digits, or null when too close to a tie to trust. */
function scaledRound(x: number, digits: number): number | null {
  if (digits > 15) return null;
  const scaled = Math.abs(x) * POWERS[digits]!;
  if (scaled >= 2 ** 52) return null;
  const floor = Math.floor(scaled);
  const frac = scaled - floor;
  // One ulp of error in `scaled` can only matter right at .5; leave those to the exact path.
  if (Math.abs(frac - 0.5) < 1e-7) return null;
  return frac > 0.5 ? floor + 1 : floor;
}

const POWERS = Array.from({ length: 16 }, (_, i) => 10 ** i);

// Captured builtins: see escape.ts (fast even when String.prototype has been made a dictionary-mode prototype).
const slice = String.prototype.slice;
const charCodeAt = String.prototype.charCodeAt;

/** The decimal text of a non-negative integer count of 10^-digits: 1234, 2 -> "12.34". */
function placeDecimal(r: number, digits: number): string {
  let text = String(r);
  if (digits > 0) {
    if (text.length <= digits) text = '0'.repeat(digits - text.length + 1) + text;
    const cut = text.length - digits;
    text = slice.call(text, 0, cut) + '.' + slice.call(text, cut);
  }
  return text;
}

export function toFixedPy(x: number, digits: number): string {
  if (Number.isFinite(x) && digits >= 0) {
    const r = scaledRound(x, digits);
    if (r !== null) {
      const negative = x < 0 || Object.is(x, -0);
      const text = placeDecimal(r, digits);
      return negative ? '-' + text : text;
    }
  }
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) return BigInt(Math.round(x)).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  const d = Math.max(0, Math.min(digits, 100));
  const fixed = x.toFixed(d);
  // toFixed rounds the exact binary value correctly except for exact ties; only near-ties need the slow check.
  if (d <= 15) {
    const scaled = Math.abs(x) * 10 ** d;
    if (Math.abs(scaled - Math.floor(scaled) - 0.5) > 1e-6 * Math.max(1, scaled * 1e-9)) return fixed;
  }
  const longer = x.toFixed(Math.min(100, d + 30));
  const tail = longer.slice(longer.length - 30);
  if (!/^50*$/.test(tail)) return fixed;
  // An exact tie: toFixed went away from zero; step back when the kept last digit is odd.
  const truncated = longer.slice(0, longer.length - 30).replace(/\.$/, '');
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 0) return truncated;
  return fixed;
}

/**
 * round(x, digits) together with Python's repr of the result, when the fast path applies: the repr of
 * the double nearest to a short decimal is that decimal (trailing zeros dropped, at least one decimal).
 */
export function roundWithRepr(x: number, digits: number): { value: number; repr: string } | null {
  if (!Number.isFinite(x) || digits < 0 || digits > 15) return null;
  const r = scaledRound(x, digits);
  if (r === null || r >= 1e15) return null;
  const value = (x < 0 ? -r : r) / POWERS[digits]!;
  const abs = Math.abs(value);
  if (abs !== 0 && abs < 1e-4) return null;
  let text = placeDecimal(r, digits);
  if (digits > 0) {
    // Trailing zeros dropped, one digit kept after the point.
    let end = text.length;
    while (charCodeAt.call(text, end - 1) === 48) end--;
    if (charCodeAt.call(text, end - 1) === 46) end++;
    if (end < text.length) text = slice.call(text, 0, end);
  } else text += '.0';
  return { value, repr: (x < 0 || Object.is(x, -0)) ? '-' + text : text };
}

export function roundHalfEven(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  if (digits >= 0) {
    const r = scaledRound(x, digits);
    // r / 10^digits is the double nearest to the decimal result, which is what Python's round() returns.
    if (r !== null) return (x < 0 ? -r : r) / POWERS[digits]!;
  }
  if (digits >= 0) return Number(toFixedPy(x, digits));
  const scale = 10 ** -digits;
  const scaled = x / scale;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  const r = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  return r * scale;
}

/** Python's floor division and modulo: the result takes the sign of the divisor. */
export function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** CPython's float_divmod: floor division and modulo of floats, with its exact corrections. */
export function pyFloatDivmod(a: number, b: number): [number, number] {
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  } else mod = b < 0 ? -0 : 0;
  let floordiv: number;
  if (div !== 0) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
  } else floordiv = a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
  return [floordiv, mod];
}
