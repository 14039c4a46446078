// Writes the exported ModelProto: the graph input, the other models' prefixed graphs in topological order, the
// head, and one `logits` output; or, when the graphs cannot share an input, the head alone over two inputs.
import { UserError } from '../../errors';
import { OnnxType, Writer, writeNode, writeTensor, writeValueInfo, type OnnxNode } from '../../gemm/onnx-proto';
import type { HeadGraph } from './head-graph';
import type { PrefixedModel } from './onnx-graph';

/** The exported graph's own names, as an image-classification model takes and returns them. */
export const PIXEL_VALUES = 'pixel_values';
export const LOGITS = 'logits';
const BATCH = 'batch_size';

/** One opset per domain across the merged graphs: an operator's meaning can change between versions. */
function mergedOpsets(models: PrefixedModel[]): Map<string, number> {
  const out = new Map<string, number>([['', 0]]);
  for (const m of models) {
    for (const [domain, version] of m.opsets) {
      const had = out.get(domain);
      if (had && had !== version) throw new UserError(`${m.path}: uses ${domain || 'ONNX'} opset ${version} but the other graph uses ${had}; they cannot be merged`);
      out.set(domain, version);
    }
  }
  // The head's operators (Cast, LpNormalization, MatMul, Gather, Add, Mul) mean the same in every opset since 13.
  if (!out.get('')) out.set('', 17);
  return out;
}

function modelBytes(irVersion: number, opsets: Map<string, number>, functionFields: Uint8Array[], metadata: Record<string, string>, graph: (g: Writer) => void): Uint8Array {
  const w = new Writer();
  w.int(1, irVersion);
  w.string(2, 'gla-studio');
  w.message(7, graph);
  for (const [domain, version] of opsets) {
    w.message(8, (o) => {
      o.string(1, domain);
      o.int(2, version);
    });
  }
  for (const [key, value] of Object.entries(metadata)) {
    w.message(14, (e) => {
      e.string(1, key);
      e.string(2, value);
    });
  }
  for (const f of functionFields) w.raw(f);
  return w.finish();
}

function writeHead(g: Writer, head: HeadGraph, from: number): void {
  head.nodes.forEach((node, k) => writeNode(g, 1, node, `gla_head/${node.op}_${from + k}`));
  for (const t of head.initializers) writeTensor(g, 5, t);
}

/** The model's input pixel_values fed to a prefixed graph's own input (cast when that graph takes fp16). */
function feed(model: PrefixedModel): OnnxNode {
  const input = model.inputs[0];
  const target = model.prefix + input.name;
  if (input.elemType === OnnxType.FLOAT16) return { op: 'Cast', inputs: [PIXEL_VALUES], outputs: [target], attributes: { to: OnnxType.FLOAT16 } };
  return { op: 'Identity', inputs: [PIXEL_VALUES], outputs: [target] };
}

/** The classifier in one graph: pixel_values → the tower (and the user's classifier) → the head → logits. */
export function mergedModel(parts: PrefixedModel[], head: HeadGraph, classes: number, metadata: Record<string, string>): Uint8Array {
  const [tower] = parts;
  const dims = tower.inputs[0].dims.map((d, k) => (k === 0 ? BATCH : d));
  const ir = Math.max(8, ...parts.map((p) => p.irVersion));
  return modelBytes(ir, mergedOpsets(parts), parts.flatMap((p) => p.functionFields), metadata, (g) => {
    parts.forEach((p, k) => writeNode(g, 1, feed(p), `gla_input/${k}`));
    for (const p of parts) for (const f of p.graphFields) g.raw(f);
    writeHead(g, head, 0);
    g.string(2, 'gla_classifier');
    writeValueInfo(g, 11, { name: PIXEL_VALUES, type: OnnxType.FLOAT, shape: dims });
    writeValueInfo(g, 12, { name: LOGITS, type: OnnxType.FLOAT, shape: [BATCH, classes] });
  });
}

/** The head alone, for two models that cannot share one input: image_embeds and the classifier's logits → logits. */
export function headModel(head: HeadGraph, inputs: { name: string; type: number; width: number }[], classes: number, metadata: Record<string, string>): Uint8Array {
  return modelBytes(8, new Map([['', 17]]), [], metadata, (g) => {
    writeHead(g, head, 0);
    g.string(2, 'gla_head');
    for (const i of inputs) writeValueInfo(g, 11, { name: i.name, type: i.type, shape: [BATCH, i.width] });
    writeValueInfo(g, 12, { name: LOGITS, type: OnnxType.FLOAT, shape: [BATCH, classes] });
  });
}
