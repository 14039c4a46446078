// CSV as spreadsheets open it: RFC 4180 quoting, with text that a spreadsheet would run as a formula defused as
// OWASP advises (https://owasp.org/www-community/attacks/CSV_Injection). Pure: the extension imports it too.
import { parse } from 'csv-parse/sync';

/** A cell a spreadsheet evaluates: it starts with = + - @ tab or CR, perhaps after quotes we added or the user wrote. */
const FORMULA = /^'*[=+\-@\t\r]/;
/** A cell we defused: one quote more than the user's text. */
const DEFUSED = /^'+[=+\-@\t\r]/;
/** A plain number such as -0.25 or +1e-7 is a value, not a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Text a spreadsheet would run as a formula, prefixed with a quote so it shows as text. Only strings are defused, and
 * not plain numbers: the numbers we write (probabilities, log q) must stay numbers, and a number runs nothing.
 * Text that already starts with quotes before a trigger gets one more, so reading it back is exact.
 */
export function defuseFormula(text: string): string {
  return FORMULA.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** The inverse of defuseFormula, for our readers. */
export function restoreFormula(text: string): string {
  return DEFUSED.test(text) ? text.slice(1) : text;
}

/** One field: defused, then quoted only when it has a comma, quote or line break. */
export function csvField(value: string | number | null | undefined): string {
  const s = value === null || value === undefined ? '' : typeof value === 'number' ? String(value) : defuseFormula(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return fields.map(csvField).join(',');
}

/** Any of the three line endings ends a record, even mixed in one file (\r\n first, so it counts once). */
export const RECORD_DELIMITERS = ['\r\n', '\n', '\r'];

/**
 * Rows of fields of a CSV we wrote (predictions.csv, an export), defusing undone. Best effort, never throws: a damaged
 * record is skipped, a stray quote is kept as text, rows may differ in length. A trailing newline adds no row.
 */
export function parseCsv(text: string): string[][] {
  const rows = parse(text, {
    bom: true,
    record_delimiter: RECORD_DELIMITERS,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
  }) as string[][];
  return rows.map((row) => row.map(restoreFormula));
}
