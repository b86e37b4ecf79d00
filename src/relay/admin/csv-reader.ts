// Reading CSV (RFC 4180) for the suppression import: quoted cells with "" for a quote, CRLF or LF row ends, a
// missing final row end. Each row carries the line it starts on, so an error can name it. It undoes the
// apostrophe csv.ts puts before a cell a spreadsheet would run as a formula, so an export imports back unchanged.

export interface CsvRow {
  /** 1-based line of the text where the row starts. */
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'CsvSyntaxError';
  }
}

const ESCAPED_FORMULA = /^'[=+\-@\t\r]/;

/** The rows of the text; blank lines are skipped. */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let wasQuoted = false;
    for (;;) {
      if (i >= n) {
        if (quoted) throw new CsvSyntaxError(start, 'a quoted cell is not closed');
        break;
      }
      const c = text[i]!;
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
            const next = text[i];
            if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') throw new CsvSyntaxError(line, 'a closing quote must end the cell');
          }
        } else {
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        continue;
      }
      if (c === '"' && cell === '') {
        quoted = wasQuoted = true;
        i++;
      } else if (c === ',') {
        cells.push(unescape(cell));
        cell = '';
        wasQuoted = false;
        i++;
      } else if (c === '\r' || c === '\n') {
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      } else if (c === '"') {
        throw new CsvSyntaxError(line, 'a quote inside an unquoted cell (quote the whole cell and write "" for a quote)');
      } else {
        cell += c;
        i++;
      }
    }
    cells.push(unescape(cell));
    if (cells.length === 1 && cells[0] === '' && !wasQuoted) continue;
    rows.push({ line: start, cells });
  }
  return rows;
}

function unescape(cell: string): string {
  return ESCAPED_FORMULA.test(cell) ? cell.slice(1) : cell;
}
