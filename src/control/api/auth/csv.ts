/**
 * CSV as Go's encoding/csv reads it with its defaults (comma ',', no comment character, no trimming, strict
 * quotes, any number of fields per record), so files written for kube-apiserver's --token-auth-file parse the same
 * here and fail with the same words: `parse error on line 2, column 7: bare " in non-quoted field`.
 */
export interface CsvRecord {
  fields: string[];
  /** 1-based line the record starts on. */
  line: number;
}

export class CsvParseError extends Error {
  constructor(
    readonly startLine: number,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(startLine !== line ? `record on line ${startLine}; parse error on line ${line}, column ${column}: ${reason}` : `parse error on line ${line}, column ${column}: ${reason}`);
    this.name = 'CsvParseError';
  }
}

const BARE_QUOTE = 'bare " in non-quoted field';
const QUOTE = 'extraneous or missing " in quoted-field';

export function parseCsv(text: string): CsvRecord[] {
  // Lines as Go reads them: \r\n is \n; a final line without a newline still counts.
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const records: CsvRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    let line = lines[i]!;
    i++;
    if (line === '') continue; // empty lines are skipped
    const fields: string[] = [];
    let pos = 0;
    let lineNo = startLine;
    for (;;) {
      if (line[pos] !== '"') {
        // Unquoted field: up to the next comma or the end of the line; no quotes inside.
        const comma = line.indexOf(',', pos);
        const field = comma < 0 ? line.slice(pos) : line.slice(pos, comma);
        const q = field.indexOf('"');
        if (q >= 0) throw new CsvParseError(startLine, lineNo, pos + q + 1, BARE_QUOTE);
        fields.push(field);
        if (comma < 0) break;
        pos = comma + 1;
        continue;
      }
      // Quoted field: "" is a quote; it may run over several lines.
      let value = '';
      pos++;
      for (;;) {
        const q = line.indexOf('"', pos);
        if (q < 0) {
          value += line.slice(pos);
          if (i >= lines.length) throw new CsvParseError(startLine, lineNo, line.length + 1, QUOTE);
          value += '\n';
          line = lines[i]!;
          i++;
          lineNo++;
          pos = 0;
          continue;
        }
        value += line.slice(pos, q);
        const next = line[q + 1];
        if (next === '"') {
          value += '"';
          pos = q + 2;
        } else if (next === ',' || next === undefined) {
          pos = q + 1;
          break;
        } else {
          throw new CsvParseError(startLine, lineNo, q + 2, QUOTE);
        }
      }
      fields.push(value);
      if (line[pos] === undefined) break;
      pos++; // the comma
      if (pos === line.length) {
        fields.push('');
        break;
      }
    }
    records.push({ fields, line: startLine });
  }
  return records;
}
