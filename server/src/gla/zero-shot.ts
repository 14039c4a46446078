import type { Floats, Matrix } from './matrix';

/** Scales each row to unit L2 norm (a zero row stays zero), into a new float64 matrix. */
export function normalizeRows(m: Matrix): Matrix {
  return normalizeRowsInPlace({ data: Float64Array.from(m.data), rows: m.rows, cols: m.cols });
}

/** Scales each row to unit L2 norm in place (sums in float64): the run's N × D features stay one float32 matrix. */
export function normalizeRowsInPlace(m: Matrix): Matrix {
  const { data, rows, cols } = m;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    let sq = 0;
    for (let j = 0; j < cols; j++) sq += data[off + j] * data[off + j];
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let j = 0; j < cols; j++) data[off + j] *= inv;
  }
  return m;
}

/**
 * The zero-shot head t_c (DESIGN, method): the normalised mean of the normalised text embeddings of each class's
 * prompts. `embeddings` holds classes × promptsPerClass rows, class-major.
 */
export function classHead(embeddings: Floats, classes: number, promptsPerClass: number, dim: number): Matrix {
  const unit = normalizeRows({ data: embeddings, rows: classes * promptsPerClass, cols: dim });
  const mean = new Float64Array(classes * dim);
  for (let c = 0; c < classes; c++) {
    for (let p = 0; p < promptsPerClass; p++) {
      const off = (c * promptsPerClass + p) * dim;
      for (let d = 0; d < dim; d++) mean[c * dim + d] += unit.data[off + d];
    }
  }
  return normalizeRows({ data: mean, rows: classes, cols: dim });
}

/** z(x) = s·⟨norm(image_embed(x)), t_c⟩ for every image and class. */
export function zeroShotLogits(imageEmbeddings: Matrix, head: Matrix, logitScale: number): Matrix {
  const x = normalizeRows(imageEmbeddings);
  const { rows, cols: dim } = x;
  const classes = head.rows;
  const out = new Float64Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    const xo = i * dim;
    for (let c = 0; c < classes; c++) {
      const to = c * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += x.data[xo + d] * head.data[to + d];
      out[i * classes + c] = logitScale * s;
    }
  }
  return { data: out, rows, cols: classes };
}
