import { promises as fs } from 'node:fs';
import { UserError } from '../errors';
import { writeFileAtomic } from './atomic-write';
import { float16Bits, float16ToFloat32 } from './float16';

export type NpyDtype = 'float16' | 'float32' | 'float64' | 'int32' | 'int64';
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array;

/** A NumPy array as plain data: little-endian, C order; float16 is read into a Float32Array (Node has no Float16Array). */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const DESCR: Record<string, NpyDtype> = { '<f2': 'float16', '<f4': 'float32', '<f8': 'float64', '<i4': 'int32', '<i8': 'int64' };
const BYTES: Record<NpyDtype, number> = { float16: 2, float32: 4, float64: 8, int32: 4, int64: 8 };
const DESCR_OF: Record<NpyDtype, string> = { float16: '<f2', float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8' };

/** Whether a dtype holds floating-point values (what logits and embeddings need). */
export const isFloatDtype = (dtype: NpyDtype): boolean => dtype === 'float16' || dtype === 'float32' || dtype === 'float64';

/** A .npy header: what the data is and where it starts. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the data in the file. */
  dataStart: number;
}

/** Parses the header at the start of a .npy file's bytes (the data need not follow); `name` labels errors. */
export function parseNpyHeader(bytes: Uint8Array, name = 'array'): NpyHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new UserError(`${name} is not a .npy file (missing the \\x93NUMPY magic)`);
  }
  const major = buf[6];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new UserError(`${name}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new UserError(`${name}: unsupported .npy format version ${major}`);
  }
  if (headerStart + headerLen > buf.length) throw new UserError(`${name}: truncated .npy header`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new UserError(`${name}: malformed .npy header`);
  }
  // '|' marks a byte order that does not apply; NumPy writes '<' for little-endian multi-byte types.
  const dtype = Object.hasOwn(DESCR, descr) ? DESCR[descr] : undefined;
  if (!dtype) {
    const why = descr.startsWith('>') ? 'big-endian data (save it with .astype(\'<f4\') or similar)' : `dtype '${descr}'`;
    throw new UserError(`${name}: unsupported ${why}; expected float16, float32, float64, int32 or int64, little-endian`);
  }
  if (fortran === 'True') throw new UserError(`${name}: Fortran-ordered arrays are not supported; save it in C order (numpy.ascontiguousarray)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new UserError(`${name}: malformed shape (${shapeText})`);
  return { dtype, shape, dataStart: headerStart + headerLen };
}

/** Parses the bytes of a .npy file; `name` only labels error messages. */
export function parseNpy(bytes: Uint8Array, name = 'array'): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { dtype, shape, dataStart } = parseNpyHeader(bytes, name);
  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * BYTES[dtype];
  if (buf.length - dataStart < byteLength) {
    throw new UserError(`${name}: truncated data (expected ${byteLength} bytes for shape (${shape.join(', ')}), found ${buf.length - dataStart})`);
  }
  // Typed arrays need aligned offsets; copy only when the file's buffer is misaligned.
  const offset = buf.byteOffset + dataStart;
  const aligned = offset % BYTES[dtype] === 0;
  const source = aligned ? buf.buffer : buf.buffer.slice(offset, offset + byteLength);
  const start = aligned ? offset : 0;
  const data =
    dtype === 'float16' ? float16ToFloat32(new Uint16Array(source, start, count))
    : dtype === 'float32' ? new Float32Array(source, start, count)
    : dtype === 'float64' ? new Float64Array(source, start, count)
    : dtype === 'int32' ? new Int32Array(source, start, count)
    : new BigInt64Array(source, start, count);
  return { dtype, shape, data };
}

/** Serialises an array as a version 1.0 .npy file, the header padded to 64 bytes as NumPy does. */
export function serializeNpy(array: NpyArray): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) throw new Error(`shape (${array.shape.join(', ')}) does not match ${array.data.length} values`);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  // float16 arrays are held as Float32Array and written as half-precision bits.
  const payload = array.dtype === 'float16' ? Uint16Array.from(array.data as Float32Array, (v) => float16Bits(v)) : array.data;
  const out = new Uint8Array(10 + header.length + payload.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), 10 + header.length);
  return out;
}

/** Reads a .npy file, turning a missing or unreadable file into a clear user error. */
export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    throw readError(path, err);
  }
  return parseNpy(bytes, path);
}

export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFileAtomic(path, serializeNpy(array));
}

/** The header of a .npy file, reading only its first bytes. */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  const handle = await openNpy(path);
  try {
    const head = Buffer.alloc(65536);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return parseNpyHeader(head.subarray(0, bytesRead), path);
  } finally {
    await handle.close();
  }
}

/**
 * Reads chosen rows of a 2-D float .npy into `dest` as float32, streaming the file in chunks: `target[r]` is the
 * destination row of file row r, or −1 to skip it. Memory stays at `dest` plus one chunk, whatever the file's size.
 */
export async function readNpyRowsInto(path: string, header: NpyHeader, target: Int32Array, dest: Float32Array, chunkBytes = 16 << 20): Promise<void> {
  const [rows, dim] = header.shape;
  const width = BYTES[header.dtype];
  if (header.shape.length !== 2 || !isFloatDtype(header.dtype)) throw new Error('readNpyRowsInto: a 2-D float array is required');
  const rowBytes = dim * width;
  const chunkRows = Math.max(1, Math.floor(chunkBytes / Math.max(1, rowBytes)));
  const handle = await openNpy(path);
  try {
    // Its own ArrayBuffer at offset 0, so float views of it are aligned.
    const chunk = Buffer.from(new ArrayBuffer(chunkRows * rowBytes));
    for (let start = 0; start < rows; start += chunkRows) {
      const count = Math.min(chunkRows, rows - start);
      const { bytesRead } = await handle.read(chunk, 0, count * rowBytes, header.dataStart + start * rowBytes);
      if (bytesRead < count * rowBytes) throw new UserError(`${path}: truncated data (expected ${rows * rowBytes} bytes for shape (${rows}, ${dim}))`);
      const values =
        header.dtype === 'float64' ? new Float64Array(chunk.buffer, chunk.byteOffset, count * dim)
        : header.dtype === 'float16' ? float16ToFloat32(new Uint16Array(chunk.buffer, chunk.byteOffset, count * dim))
        : new Float32Array(chunk.buffer, chunk.byteOffset, count * dim);
      for (let i = 0; i < count; i++) {
        const k = target[start + i];
        if (k >= 0) dest.set(values.subarray(i * dim, (i + 1) * dim), k * dim);
      }
    }
  } finally {
    await handle.close();
  }
}

async function openNpy(path: string) {
  try {
    return await fs.open(path, 'r');
  } catch (err) {
    throw readError(path, err);
  }
}

/** A missing or unreadable .npy as a clear user error. */
function readError(path: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${path}: no such file`);
  if (code === 'EISDIR') return new UserError(`${path}: is a directory, expected a .npy file`);
  return new UserError(`${path}: cannot read (${code ?? String(err)})`);
}
