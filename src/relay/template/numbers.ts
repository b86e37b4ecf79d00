// Python number formatting and rounding that JavaScript does differently (ties to even, exact decimals).

/**
 * Python's `format(x, '.Nf')` / `round(x, N)`: the exact binary value rounded half to even.
 * toFixed rounds exact ties away from zero, so ties are detected from a longer exact expansion.
 */
export function toFixedPy(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) return BigInt(Math.round(x)).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  const d = Math.max(0, Math.min(digits, 100));
  const fixed = x.toFixed(d);
  const longer = x.toFixed(Math.min(100, d + 30));
  const tail = longer.slice(longer.length - 30);
  if (!/^50*$/.test(tail)) return fixed;
  // An exact tie: toFixed went away from zero; step back when the kept last digit is odd.
  const truncated = longer.slice(0, longer.length - 30).replace(/\.$/, '');
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 0) return truncated;
  return fixed;
}

export function roundHalfEven(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
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
