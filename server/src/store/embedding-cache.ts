import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { float16Bits, float16Value } from './float16';
import { writeFileAtomic } from './atomic-write';

export type EmbeddingStorage = 'fp16' | 'fp32';

/** What makes two embeddings of the same bytes comparable: same model, same preprocessing. */
export interface EmbeddingNamespace {
  modelId: string;
  preprocessingVersion: string;
}

const MAGIC = 0x45414c47; // "GLAE" little-endian
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;

/**
 * Embeddings keyed by image content × model × preprocessing, one small file per image under
 * <cache>/embeddings/<namespace>/<hh>/<sha256>.emb. Each file is written atomically and carries a CRC32 of its
 * payload, so a crash or a cancel leaves only whole entries, and a damaged one is detected, dropped and recomputed.
 */
export class EmbeddingCache {
  readonly dir: string;
  private corrupt = 0;

  constructor(cacheDir: string, namespace: EmbeddingNamespace, readonly storage: EmbeddingStorage = 'fp16') {
    const id = createHash('sha256').update(`${namespace.modelId}\0${namespace.preprocessingVersion}`).digest('hex').slice(0, 20);
    this.dir = join(cacheDir, 'embeddings', id);
  }

  /** Damaged entries found (and removed) so far. */
  get corruptEntries(): number {
    return this.corrupt;
  }

  private pathOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), `${hash}.emb`);
  }

  /** The cached embedding of content `hash`, or undefined when absent or damaged. */
  async get(hash: string, dim?: number): Promise<Float32Array | undefined> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.pathOf(hash));
    } catch {
      return undefined;
    }
    const decoded = decodeEntry(bytes);
    if (!decoded || (dim !== undefined && decoded.length !== dim)) {
      this.corrupt++;
      await fs.rm(this.pathOf(hash), { force: true });
      return undefined;
    }
    return decoded;
  }

  /** The embedding as a later get() will return it (fp16-rounded when stored as fp16): runs stay identical whether or not they hit the cache. */
  asStored(embedding: Float32Array): Float32Array {
    return this.storage === 'fp32' ? embedding : decodeEntry(Buffer.from(encodeEntry(embedding, this.storage)))!;
  }

  async put(hash: string, embedding: Float32Array): Promise<void> {
    await writeFileAtomic(this.pathOf(hash), encodeEntry(embedding, this.storage));
  }

  private failurePathOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), `${hash}.fail`);
  }

  /**
   * Why an earlier run could not decode content `hash`, if it was this decoder (`decoder()` is asked only when a
   * record exists): the same bytes fail the same way, so a rerun need not start the model to learn it again.
   */
  async getFailure(hash: string, decoder: () => string): Promise<string | undefined> {
    let record: unknown;
    try {
      record = JSON.parse(await fs.readFile(this.failurePathOf(hash), 'utf8'));
    } catch {
      return undefined;
    }
    const r = record as { error?: unknown; decoder?: unknown } | null;
    return r && typeof r.error === 'string' && r.decoder === decoder() ? r.error : undefined;
  }

  async putFailure(hash: string, error: string, decoder: string): Promise<void> {
    await writeFileAtomic(this.failurePathOf(hash), JSON.stringify({ error, decoder }) + '\n');
  }
}

export function encodeEntry(embedding: Float32Array, storage: EmbeddingStorage): Uint8Array {
  const dim = embedding.length;
  const width = storage === 'fp16' ? 2 : 4;
  const out = Buffer.alloc(HEADER_BYTES + dim * width);
  const payload = out.subarray(HEADER_BYTES);
  if (storage === 'fp16') for (let k = 0; k < dim; k++) payload.writeUInt16LE(float16Bits(embedding[k]), 2 * k);
  else for (let k = 0; k < dim; k++) payload.writeFloatLE(embedding[k], 4 * k);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt8(FORMAT_VERSION, 4);
  out.writeUInt8(storage === 'fp16' ? 1 : 2, 5);
  out.writeUInt32LE(dim, 8);
  out.writeUInt32LE(crc32(payload), 12);
  return out;
}

/** The embedding in an entry, or undefined if anything about it is wrong. */
export function decodeEntry(bytes: Buffer): Float32Array | undefined {
  if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt8(4) !== FORMAT_VERSION) return undefined;
  const kind = bytes.readUInt8(5);
  const dim = bytes.readUInt32LE(8);
  const width = kind === 1 ? 2 : kind === 2 ? 4 : 0;
  if (!width || bytes.length !== HEADER_BYTES + dim * width) return undefined;
  const payload = bytes.subarray(HEADER_BYTES);
  if (crc32(payload) !== bytes.readUInt32LE(12)) return undefined;
  const out = new Float32Array(dim);
  if (width === 2) for (let k = 0; k < dim; k++) out[k] = float16Value(payload.readUInt16LE(2 * k));
  else for (let k = 0; k < dim; k++) out[k] = payload.readFloatLE(4 * k);
  return out;
}
