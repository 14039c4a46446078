import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ProbeParameters } from '../gla/probe/probe';
import { writeFileAtomic } from './atomic-write';

/** The probe solutions of a dataset's last run: by λ along the path, and per cross-fitting fold. */
export interface ProbeWarmStarts {
  /** A digest of everything the fits saw; equal digests mean the solutions can be reused as they are. */
  fingerprint: string;
  byLambda: Map<number, ProbeParameters>;
  folds: (ProbeParameters | undefined)[];
}

interface Header {
  version: 2;
  fingerprint: string;
  classes: number;
  dim: number;
  lambdas: number[];
  folds: boolean[];
  bytes: number;
  crc: number;
}

/**
 * Warm starts for re-analysis, in <cache>/probe-warm-starts/: after 1% of the images change, every probe fit starts
 * next to its optimum and converges in a few iterations; on identical data the solutions are reused as they are,
 * so a rerun reproduces the first run exactly. A hint only: missing, stale or damaged files are ignored.
 */
export class ProbeWarmStartStore {
  private readonly base: string;

  constructor(cacheDir: string, key: { datasetRoot: string; modelId: string; classes: readonly string[]; dim: number }) {
    const id = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 24);
    this.base = join(cacheDir, 'probe-warm-starts', id);
  }

  async load(classes: number, dim: number): Promise<ProbeWarmStarts | undefined> {
    try {
      const header = JSON.parse(await fs.readFile(`${this.base}.json`, 'utf8')) as Header;
      const payload = await fs.readFile(`${this.base}.f64`);
      if (header.version !== 2 || header.classes !== classes || header.dim !== dim || payload.length !== header.bytes || crc32(payload) !== header.crc) return undefined;
      const floats = new Float64Array(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length));
      const size = classes * dim + classes;
      let offset = 0;
      const next = (): ProbeParameters => {
        const block = floats.subarray(offset, offset + size);
        offset += size;
        return { weights: Float64Array.from(block.subarray(0, classes * dim)), bias: Float64Array.from(block.subarray(classes * dim)) };
      };
      const byLambda = new Map<number, ProbeParameters>();
      for (const lambda of header.lambdas) byLambda.set(lambda, next());
      const folds = header.folds.map((present) => (present ? next() : undefined));
      return { fingerprint: header.fingerprint, byLambda, folds };
    } catch {
      return undefined;
    }
  }

  async save(starts: ProbeWarmStarts, classes: number, dim: number): Promise<void> {
    const blocks = [...starts.byLambda.values(), ...starts.folds.filter((f): f is ProbeParameters => f !== undefined)];
    const size = classes * dim + classes;
    // float64, so a rerun on identical data can reuse the solutions bit for bit.
    const floats = new Float64Array(blocks.length * size);
    blocks.forEach((b, k) => {
      floats.set(b.weights, k * size);
      floats.set(b.bias, k * size + classes * dim);
    });
    const payload = Buffer.from(floats.buffer);
    const header: Header = { version: 2, fingerprint: starts.fingerprint, classes, dim, lambdas: [...starts.byLambda.keys()], folds: starts.folds.map((f) => f !== undefined), bytes: payload.length, crc: crc32(payload) };
    // Payload first: a header is only ever next to the payload it describes (checked by size and CRC on load).
    await writeFileAtomic(`${this.base}.f64`, payload);
    await writeFileAtomic(`${this.base}.json`, JSON.stringify(header));
  }
}
