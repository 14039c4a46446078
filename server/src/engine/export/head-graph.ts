// The exported model's head as ONNX nodes: the embedding rounded to half precision as the run's embedding cache
// stores it, normalised, the folded linear map and the user's classifier's columns, all in float64 as
// `gla classify` computes them, and float32 logits out.
import { OnnxType, type OnnxNode, type OnnxTensor } from '../../gemm/onnx-proto';
import type { HeadWeights } from './head-weights';

export interface HeadGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
}

export interface HeadInputs {
  /** The vision tower's image_embeds and its element type. */
  embeds: string;
  embedsType: number;
  /** The user's classifier's logits, when the head takes them. */
  classifierLogits?: string;
  /** The output's name. */
  logits: string;
}

const P = 'gla_head/';

export function headGraph(head: HeadWeights, io: HeadInputs): HeadGraph {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const terms: string[] = [];
  if (head.linear) {
    // The run's embeddings are cached in half precision (store/embedding-cache.ts): round the same way, so the
    // exported model reproduces the report's predictions, not a near miss of them.
    const half = io.embedsType === OnnxType.FLOAT16 ? io.embeds : `${P}embeds_fp16`;
    if (half !== io.embeds) nodes.push({ op: 'Cast', inputs: [io.embeds], outputs: [half], attributes: { to: OnnxType.FLOAT16 } });
    nodes.push({ op: 'Cast', inputs: [half], outputs: [`${P}embeds`], attributes: { to: OnnxType.DOUBLE } });
    nodes.push({ op: 'LpNormalization', inputs: [`${P}embeds`], outputs: [`${P}unit_embeds`], attributes: { axis: -1, p: 2 } });
    initializers.push({ name: `${P}weights`, type: OnnxType.DOUBLE, dims: [head.dim, head.classes], data: head.linear.weights });
    initializers.push({ name: `${P}bias`, type: OnnxType.DOUBLE, dims: [head.classes], data: head.linear.bias });
    nodes.push({ op: 'MatMul', inputs: [`${P}unit_embeds`, `${P}weights`], outputs: [`${P}linear`] });
    nodes.push({ op: 'Add', inputs: [`${P}linear`, `${P}bias`], outputs: [`${P}clip_logits`] });
    terms.push(`${P}clip_logits`);
  }
  if (head.classifier && io.classifierLogits) {
    initializers.push({ name: `${P}columns`, type: OnnxType.INT64, dims: [head.classes], data: BigInt64Array.from(head.classifier.columnOf, BigInt) });
    nodes.push({ op: 'Gather', inputs: [io.classifierLogits, `${P}columns`], outputs: [`${P}classifier_columns`], attributes: { axis: 1 } });
    nodes.push({ op: 'Cast', inputs: [`${P}classifier_columns`], outputs: [`${P}classifier_logits`], attributes: { to: OnnxType.DOUBLE } });
    let term = `${P}classifier_logits`;
    if (head.classifier.scale !== 1) {
      initializers.push({ name: `${P}classifier_scale`, type: OnnxType.DOUBLE, dims: [], data: Float64Array.of(head.classifier.scale) });
      nodes.push({ op: 'Mul', inputs: [term, `${P}classifier_scale`], outputs: [`${P}classifier_scaled`] });
      term = `${P}classifier_scaled`;
    }
    terms.push(term);
  }
  let sum = terms[0];
  if (terms.length === 2) {
    sum = `${P}sum`;
    nodes.push({ op: 'Add', inputs: terms, outputs: [sum] });
  }
  nodes.push({ op: 'Cast', inputs: [sum], outputs: [io.logits], attributes: { to: OnnxType.FLOAT } });
  return { nodes, initializers };
}
