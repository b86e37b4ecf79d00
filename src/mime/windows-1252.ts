// windows-1252 decoding by hand: Node 20's TextDecoder maps 0x80-0x9F to C1 controls (nodejs/node#60888).
// The 32 code points below are the WHATWG Encoding Standard's index-windows-1252 for 0x80-0x9F;
// the five bytes it leaves unassigned (0x81 0x8D 0x8F 0x90 0x9D) decode to the C1 control of the same value.
const HIGH_C1: readonly number[] = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/** Full 256-entry byte -> UTF-16 code unit table. */
const TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) t[i] = i >= 0x80 && i < 0xa0 ? HIGH_C1[i - 0x80]! : i;
  return t;
})();

/** Decodes windows-1252 (and what mail labels ISO-8859-1 / latin1, which means the same in practice). */
export function decodeWindows1252(bytes: Uint8Array): string {
  // latin1 is exact outside 0x80-0x9F; only fall back to the table when such a byte is present.
  let hasC1 = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 && b < 0xa0) {
      hasC1 = true;
      break;
    }
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!hasC1) return buf.toString('latin1');
  const CHUNK = 8192;
  let out = '';
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    const units = new Uint16Array(end - start);
    for (let i = start; i < end; i++) units[i - start] = TABLE[bytes[i]!]!;
    out += String.fromCharCode.apply(null, units as unknown as number[]);
  }
  return out;
}
