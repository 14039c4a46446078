import { promises as fs } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { UserError } from '../errors';
import { RECORD_DELIMITERS, restoreFormula } from '../store/csv';

export interface CsvRow {
  path: string;
  label: string;
  split?: string;
  /** 1-based line in the file, for error messages. */
  line: number;
}

export interface CsvManifestOptions {
  /** Accept absolute paths and paths that leave the CSV's folder (`--allow-outside-paths`). */
  allowOutside?: boolean;
}

interface CsvRecord {
  fields: string[];
  /** 1-based line the record starts on. */
  line: number;
}

/** A hand-written CSV's records: spaces around fields, blank lines and `#` comment lines are ignored. */
function csvRecords(file: string, text: string): CsvRecord[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      record_delimiter: RECORD_DELIMITERS,
      trim: true,
      skip_empty_lines: true,
      comment: '#',
      comment_no_infix: true,
      relax_column_count: true,
      relax_quotes: true,
      info: true,
    }) as unknown as typeof parsed;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new UserError(`${file}${e.lines ? `:${e.lines}` : ''}: not a valid CSV: ${e.message}`);
  }
  // csv-parse counts the line a record ends on, and every CR and LF inside quotes as a line (a quoted CRLF as two):
  // the record starts as many lines back as it holds CRs and LFs, less the CRLFs of the records before it.
  const count = (fields: string[], re: RegExp): number => fields.reduce((n, f) => n + (f.match(re)?.length ?? 0), 0);
  let crlfBefore = 0;
  return parsed.map(({ record, info }) => {
    const line = info.lines - count(record, /[\r\n]/g) - crlfBefore;
    crlfBefore += count(record, /\r\n/g);
    return { fields: record.map(restoreFormula), line };
  });
}

/** A manifest row must not reach files outside the CSV's folder unless the user allows it. */
function checkInside(file: string, root: string, row: CsvRow): void {
  const rel = relative(root, resolve(root, row.path));
  const outside = isAbsolute(row.path) || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`);
  if (outside) {
    throw new UserError(
      `${file}:${row.line}: '${row.path}' is outside the CSV's folder: paths in a CSV manifest must stay inside its folder; pass --allow-outside-paths to allow them`,
    );
  }
}

/** A `path,label[,split]` manifest; a header row naming those columns is optional. Paths are relative to the CSV's folder. */
export async function readCsvManifest(file: string, options: CsvManifestOptions = {}): Promise<CsvRow[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const root = dirname(resolve(file));
  const rows: CsvRow[] = [];
  let columns = { path: 0, label: 1, split: 2 as number | undefined };
  for (const { fields, line } of csvRecords(file, text)) {
    const lower = fields.map((f) => f.toLowerCase());
    if (rows.length === 0 && lower.includes('path') && lower.includes('label')) {
      const split = lower.indexOf('split');
      columns = { path: lower.indexOf('path'), label: lower.indexOf('label'), split: split >= 0 ? split : undefined };
      continue;
    }
    const path = fields[columns.path];
    const label = fields[columns.label];
    if (!path || label === undefined || label === '') throw new UserError(`${file}:${line}: expected path,label[,split], got '${fields.join(',')}'`);
    const split = columns.split !== undefined ? fields[columns.split] || undefined : undefined;
    if (split !== undefined && !['train', 'val', 'test'].includes(split)) {
      throw new UserError(`${file}:${line}: split must be train, val or test, got '${split}'`);
    }
    const row = { path, label, split, line };
    if (!options.allowOutside) checkInside(file, root, row);
    rows.push(row);
  }
  if (rows.length === 0) throw new UserError(`${file}: no rows (expected path,label[,split])`);
  return rows;
}
