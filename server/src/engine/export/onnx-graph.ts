// Another model's graph, read for merging into an exported one: every node, initializer and value name prefixed (so
// two graphs never collide), the graph's own inputs and outputs described rather than copied, everything else
// copied byte for byte. Field numbers follow onnx.proto3.
import { UserError } from '../../errors';
import { Writer } from '../../gemm/onnx-proto';
import { protoFields, protoString, type ProtoField } from './proto-fields';

/** A graph input or output: its name (unprefixed), element type (TensorProto.DataType) and dimensions. */
export interface GraphValue {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

/** A model taken apart for merging: its graph's contents as encoded GraphProto fields, names prefixed. */
export interface PrefixedModel {
  path: string;
  prefix: string;
  irVersion: number;
  /** opset_import: domain ('' is ONNX's own) → version. */
  opsets: Map<string, number>;
  /** Encoded GraphProto fields: nodes, initializers (dense and sparse), value_info. */
  graphFields: Uint8Array[];
  /** Encoded ModelProto `functions` fields (model-local functions keep their own scope). */
  functionFields: Uint8Array[];
  inputs: GraphValue[];
  outputs: GraphValue[];
}

const Model = { irVersion: 1, graph: 7, opsetImport: 8, functions: 25 } as const;
const Graph = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13, quantizationAnnotation: 14, sparseInitializer: 15 } as const;

class Renamer {
  constructor(readonly prefix: string, readonly path: string) {}

  name(bytes: Uint8Array): string {
    const name = protoString(bytes);
    // An empty name is an omitted optional input: it stays empty.
    return name === '' ? '' : this.prefix + name;
  }

  /** Copies a message, rewriting the fields `rewrite` handles (it returns false for the rest, which are copied). */
  message(payload: Uint8Array, rewrite: (w: Writer, f: ProtoField) => boolean): Uint8Array {
    const w = new Writer();
    for (const f of protoFields(payload, this.path)) if (!rewrite(w, f)) w.raw(f.bytes);
    return w.finish();
  }

  node(payload: Uint8Array): Uint8Array {
    return this.message(payload, (w, f) => {
      if (f.wire !== 2) return false;
      if (f.field === 1 || f.field === 2 || f.field === 3) w.string(f.field, this.name(f.payload));
      else if (f.field === 5) w.bytes(5, this.attribute(f.payload));
      else return false;
      return true;
    });
  }

  /** Attributes carry subgraphs (If, Loop, Scan), whose names refer to the outer graph's too. */
  attribute(payload: Uint8Array): Uint8Array {
    return this.message(payload, (w, f) => {
      if (f.wire !== 2 || (f.field !== 6 && f.field !== 11)) return false;
      w.bytes(f.field, this.graph(f.payload));
      return true;
    });
  }

  tensor(payload: Uint8Array): Uint8Array {
    return this.message(payload, (w, f) => {
      if (f.field === 14 && f.wire === 0 && f.value === 1) {
        throw new UserError(`${this.path}: keeps its weights in external data files, which gla export cannot merge yet; export from a model saved as one .onnx file`);
      }
      if (f.field !== 8 || f.wire !== 2) return false;
      w.string(8, this.name(f.payload));
      return true;
    });
  }

  /** ValueInfoProto and TensorAnnotation both keep their name in field 1. */
  named(payload: Uint8Array): Uint8Array {
    return this.message(payload, (w, f) => {
      if (f.field !== 1 || f.wire !== 2) return false;
      w.string(1, this.name(f.payload));
      return true;
    });
  }

  sparseTensor(payload: Uint8Array): Uint8Array {
    return this.message(payload, (w, f) => {
      if (f.wire !== 2 || (f.field !== 1 && f.field !== 2)) return false;
      w.bytes(f.field, this.tensor(f.payload));
      return true;
    });
  }

  /** A whole (sub)graph, its inputs and outputs included. */
  graph(payload: Uint8Array): Uint8Array {
    return this.message(payload, (w, f) => this.graphField(w, f));
  }

  graphField(w: Writer, f: ProtoField): boolean {
    if (f.wire !== 2) return false;
    switch (f.field) {
      case Graph.node: w.bytes(f.field, this.node(f.payload)); return true;
      case Graph.initializer: w.bytes(f.field, this.tensor(f.payload)); return true;
      case Graph.sparseInitializer: w.bytes(f.field, this.sparseTensor(f.payload)); return true;
      case Graph.input: case Graph.output: case Graph.valueInfo: case Graph.quantizationAnnotation:
        w.bytes(f.field, this.named(f.payload)); return true;
      default: return false;
    }
  }
}

/** A ValueInfoProto's name, element type and shape. */
function graphValue(payload: Uint8Array, path: string): GraphValue {
  const value: GraphValue = { name: '', elemType: 0, dims: [] };
  for (const f of protoFields(payload, path)) {
    if (f.field === 1 && f.wire === 2) value.name = protoString(f.payload);
    if (f.field !== 2 || f.wire !== 2) continue;
    for (const t of protoFields(f.payload, path)) {
      if (t.field !== 1 || t.wire !== 2) continue; // tensor_type
      for (const tensor of protoFields(t.payload, path)) {
        if (tensor.field === 1 && tensor.wire === 0) value.elemType = tensor.value;
        if (tensor.field !== 2 || tensor.wire !== 2) continue;
        for (const dim of protoFields(tensor.payload, path)) {
          if (dim.field !== 1 || dim.wire !== 2) continue;
          let d: number | string = '?';
          for (const v of protoFields(dim.payload, path)) {
            if (v.field === 1 && v.wire === 0) d = v.value;
            if (v.field === 2 && v.wire === 2) d = protoString(v.payload);
          }
          value.dims.push(d);
        }
      }
    }
  }
  return value;
}

/** Names the initializers of a graph define (graph inputs with a default are not real inputs). */
function initializerNames(graphPayload: Uint8Array, path: string): Set<string> {
  const names = new Set<string>();
  for (const f of protoFields(graphPayload, path)) {
    if (f.field !== Graph.initializer || f.wire !== 2) continue;
    for (const t of protoFields(f.payload, path)) if (t.field === 8 && t.wire === 2) names.add(protoString(t.payload));
  }
  return names;
}

/** Reads a model and prefixes every name in its graph; its inputs and outputs are described, not copied. */
export function prefixModel(bytes: Uint8Array, path: string, prefix: string): PrefixedModel {
  const renamer = new Renamer(prefix, path);
  const model: PrefixedModel = { path, prefix, irVersion: 0, opsets: new Map(), graphFields: [], functionFields: [], inputs: [], outputs: [] };
  let graph: Uint8Array | undefined;
  for (const f of protoFields(bytes, path)) {
    if (f.field === Model.irVersion && f.wire === 0) model.irVersion = f.value;
    else if (f.field === Model.graph && f.wire === 2) graph = f.payload;
    else if (f.field === Model.functions && f.wire === 2) model.functionFields.push(f.bytes);
    else if (f.field === Model.opsetImport && f.wire === 2) {
      let domain = '';
      let version = 0;
      for (const o of protoFields(f.payload, path)) {
        if (o.field === 1 && o.wire === 2) domain = protoString(o.payload);
        if (o.field === 2 && o.wire === 0) version = o.value;
      }
      model.opsets.set(domain === 'ai.onnx' ? '' : domain, version);
    }
  }
  if (!graph || model.irVersion === 0) throw new UserError(`${path}: not an ONNX model (no graph or IR version)`);
  const defaults = initializerNames(graph, path);
  for (const f of protoFields(graph, path)) {
    if (f.wire === 2 && (f.field === Graph.input || f.field === Graph.output)) {
      const value = graphValue(f.payload, path);
      if (f.field === Graph.output) model.outputs.push(value);
      else if (!defaults.has(value.name)) model.inputs.push(value);
      continue;
    }
    const w = new Writer();
    if (renamer.graphField(w, f)) model.graphFields.push(w.finish());
    // The graph's name and doc string belong to the graph we write.
  }
  return model;
}
