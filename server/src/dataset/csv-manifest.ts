import { promises as fs } from 'node:fs';
import { UserError } from '../errors';

export interface CsvRow {
  path: string;
  label: string;
  split?: string;
  /** 1-based line in the file, for error messages. */
  line: number;
}

/** Splits one CSV line, honouring double quotes ("" inside quotes is a quote). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/** A `path,label[,split]` manifest; a header row naming those columns is optional. Paths are relative to the CSV's folder. */
export async function readCsvManifest(file: string): Promise<CsvRow[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: CsvRow[] = [];
  let columns = { path: 0, label: 1, split: 2 as number | undefined };
  lines.forEach((raw, k) => {
    if (!raw.trim() || raw.trimStart().startsWith('#')) return;
    const fields = splitCsvLine(raw);
    if (rows.length === 0 && fields.map((f) => f.toLowerCase()).includes('path') && fields.map((f) => f.toLowerCase()).includes('label')) {
      const lower = fields.map((f) => f.toLowerCase());
      const split = lower.indexOf('split');
      columns = { path: lower.indexOf('path'), label: lower.indexOf('label'), split: split >= 0 ? split : undefined };
      return;
    }
    const path = fields[columns.path];
    const label = fields[columns.label];
    if (!path || label === undefined || label === '') throw new UserError(`${file}:${k + 1}: expected path,label[,split], got '${raw}'`);
    const split = columns.split !== undefined ? fields[columns.split] || undefined : undefined;
    if (split !== undefined && !['train', 'val', 'test'].includes(split)) {
      throw new UserError(`${file}:${k + 1}: split must be train, val or test, got '${split}'`);
    }
    rows.push({ path, label, split, line: k + 1 });
  });
  if (rows.length === 0) throw new UserError(`${file}: no rows (expected path,label[,split])`);
  return rows;
}
