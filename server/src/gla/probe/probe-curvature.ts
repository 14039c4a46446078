/**
 * A fixed diagonal preconditioner for DESIGN step 4's L-BFGS (step 1 suggests the same for q): the inverse of the
 * objective's Hessian diagonal where every softmax is uniform. There the unpenalised bias has curvature about 1/C
 * while W has λ and more, so at 10 000 classes and λ = 0.1 the two differ a thousandfold and plain L-BFGS crawls;
 * scaling by this diagonal evens them out. It does not depend on the point, so L-BFGS keeps one fixed metric
 * (a diagonal taken at the current point swings wildly while the softmax is peaked, and its steps then fail).
 */
export function probeInverseHessianDiagonal(
  features: Float32Array | Float64Array,
  mean: Float64Array,
  sampleWeights: Float64Array,
  classes: number,
  dim: number,
  lambda: number,
): Float64Array {
  const n = sampleWeights.length;
  // Uniform p: each logit's curvature is (1/C)(1 − 1/C); a weight's is that times the weighted mean of x_j².
  const logitCurvature = (1 / classes) * (1 - 1 / classes) || 1 / 4;
  const meanSquare = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const wi = sampleWeights[i];
    for (let j = 0; j < dim; j++) meanSquare[j] += wi * (features[i * dim + j] - mean[j]) ** 2;
  }
  const out = new Float64Array(classes * dim + classes);
  for (let k = 0; k < classes; k++) {
    for (let j = 0; j < dim; j++) out[k * dim + j] = 1 / (lambda + logitCurvature * meanSquare[j] || 1);
  }
  out.fill(1 / logitCurvature, classes * dim);
  return out;
}
