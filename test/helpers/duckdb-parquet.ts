// Parquet written and read by DuckDB (its own C++ writer, snappy and dictionary encoding), so our hyparquet-based
// reader and writer are checked against a library other than their own.
import { DuckDBInstance } from '@duckdb/node-api';

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Writes rows of string columns as one snappy parquet file. */
export async function duckdbWriteParquet(path: string, columns: Record<string, string[]>): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const names = Object.keys(columns);
  const rows = columns[names[0]].length;
  await c.run(`CREATE TABLE t (${names.map((n) => `"${n}" VARCHAR`).join(', ')})`);
  const appender = await c.createAppender('t');
  for (let r = 0; r < rows; r++) {
    for (const n of names) appender.appendVarchar(columns[n][r]);
    appender.endRow();
  }
  appender.closeSync();
  await c.run(`COPY t TO ${quote(path)} (FORMAT parquet, COMPRESSION snappy)`);
  c.closeSync();
  db.closeSync();
}

/** One column of a parquet file, as DuckDB reads it. */
export async function duckdbReadColumn(path: string, column: string): Promise<string[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const result = await c.runAndReadAll(`SELECT "${column}" FROM read_parquet(${quote(path)})`);
  const values = result.getRows().map((r) => String(r[0]));
  c.closeSync();
  db.closeSync();
  return values;
}
