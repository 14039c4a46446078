// Parquet through hyparquet (pure JS, so the VSIX stays platform-simple) with hyparquet-compressors for snappy,
// gzip, zstd and brotli: the one string column we read of clip-retrieval's metadata, and the one we write.
import { promises as fs } from 'node:fs';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { UserError, describeError } from '../errors';
import { writeFileAtomic } from './atomic-write';

/** A file as hyparquet's AsyncBuffer: byte ranges read on demand (the footer first), never the whole file. */
async function fileBuffer(path: string): Promise<AsyncBuffer> {
  const { size } = await fs.stat(path);
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const handle = await fs.open(path, 'r');
      try {
        const out = new ArrayBuffer(end - start);
        await handle.read(new Uint8Array(out), 0, end - start, start);
        return out;
      } finally {
        await handle.close();
      }
    },
  };
}

/** A parquet file's row count and top-level column names, from its footer alone. */
export async function parquetShape(path: string): Promise<{ rows: number; columns: string[] }> {
  try {
    const file = await fileBuffer(path);
    const metadata = await parquetMetadataAsync(file);
    const columns = parquetSchema(metadata).children.map((c) => c.element.name);
    return { rows: Number(metadata.num_rows), columns };
  } catch (err) {
    throw new UserError(`${path}: not a readable parquet file (${describeError(err)})`);
  }
}

/** One string column of a parquet file, in row order; only that column's pages are read and decompressed. */
export async function readParquetStrings(path: string, column: string): Promise<string[]> {
  const { columns } = await parquetShape(path);
  if (!columns.includes(column)) throw new UserError(`${path}: no '${column}' column (its columns: ${columns.join(', ') || 'none'})`);
  let rows: Record<string, unknown>[];
  try {
    const file = await fileBuffer(path);
    rows = await parquetReadObjects({ file, columns: [column], compressors });
  } catch (err) {
    throw new UserError(`${path}: cannot read column '${column}' (${describeError(err)})`);
  }
  return rows.map((r, i) => {
    const v = r[column];
    if (typeof v !== 'string') throw new UserError(`${path}: row ${i} of '${column}' is ${v === null || v === undefined ? 'empty' : typeof v}, expected a path`);
    return v;
  });
}

/** Writes string columns as one snappy-compressed parquet file, atomically. */
export async function writeParquetStrings(path: string, columns: Record<string, string[]>): Promise<void> {
  const columnData = Object.entries(columns).map(([name, data]) => ({ name, data, type: 'STRING' as const }));
  await writeFileAtomic(path, new Uint8Array(parquetWriteBuffer({ columnData, codec: 'SNAPPY' })));
}
