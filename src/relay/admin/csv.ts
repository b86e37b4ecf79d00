// CSV (RFC 4180) for the event export: CRLF rows, cells quoted when they hold a comma, quote, CR or LF.
// Event fields come from senders (recipient addresses, upstream replies), so a cell a spreadsheet would
// run as a formula (starting with = + - @, or a tab or CR) gets a leading apostrophe (OWASP CSV injection).

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) s = "'" + s;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}
