/**
 * One row per input image, written straight into a single N × D buffer (allocated once the width is known), so
 * 100k embeddings take N·D·4 bytes instead of 100k small arrays plus a copy.
 */
export class EmbeddingRows {
  private data?: Float32Array;
  private readonly present: Uint8Array;
  dim = 0;

  constructor(private readonly count: number) {
    this.present = new Uint8Array(count);
  }

  set(row: number, embedding: Float32Array): void {
    if (!this.data) {
      this.dim = embedding.length;
      this.data = new Float32Array(this.count * this.dim);
    }
    if (embedding.length !== this.dim) throw new Error(`embedding of width ${embedding.length} in a matrix of width ${this.dim}`);
    this.data.set(embedding, row * this.dim);
    this.present[row] = 1;
  }

  has(row: number): boolean {
    return this.present[row] === 1;
  }

  /** The rows that were set, in order, moved to the front of the buffer (no second allocation). */
  compact(): { indices: number[]; embeddings: Float32Array } {
    const indices: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.present[i]) indices.push(i);
    if (!this.data) return { indices, embeddings: new Float32Array(0) };
    indices.forEach((i, k) => {
      if (i !== k) this.data!.copyWithin(k * this.dim, i * this.dim, (i + 1) * this.dim);
    });
    return { indices, embeddings: this.data.subarray(0, indices.length * this.dim) };
  }
}
