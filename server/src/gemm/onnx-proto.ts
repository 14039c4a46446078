/**
 * A minimal ONNX ModelProto writer: just enough protobuf to build small graphs in memory (the probe's
 * matrix products, `gla export`'s head), so no ONNX tooling is needed at run time. Field numbers follow onnx.proto3.
 */

/** ONNX TensorProto.DataType values we use. */
export const OnnxType = { FLOAT: 1, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;

export class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  varint(value: number): void {
    const bytes: number[] = [];
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n; // negative int64s are ten bytes, two's complement
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    this.push(Uint8Array.from(bytes));
  }

  key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  int(field: number, value: number): void {
    this.key(field, 0);
    this.varint(value);
  }

  bytes(field: number, value: Uint8Array): void {
    this.key(field, 2);
    this.varint(value.length);
    this.push(value);
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  /** Bytes that already hold whole encoded fields (copied from another model), appended as they are. */
  raw(bytes: Uint8Array): void {
    this.push(bytes);
  }

  message(field: number, build: (w: Writer) => void): void {
    const inner = new Writer();
    build(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

export interface OnnxValue {
  name: string;
  type: number;
  /** A number is a fixed size; a string a named dynamic dimension. */
  shape: (number | string)[];
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes only (all our operators need). */
  attributes?: Record<string, number>;
}

/** A constant tensor (an initializer), its numbers as little-endian raw_data. */
export interface OnnxTensor {
  name: string;
  type: typeof OnnxType.FLOAT | typeof OnnxType.DOUBLE | typeof OnnxType.INT64;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array;
}

export function writeTensor(w: Writer, field: number, t: OnnxTensor): void {
  w.message(field, (m) => {
    for (const d of t.dims) m.int(1, d);
    m.int(2, t.type);
    m.string(8, t.name);
    // raw_data is little-endian; typed arrays are in the platform's order, little-endian everywhere Node runs.
    m.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  });
}

export function writeNode(w: Writer, field: number, node: OnnxNode, name: string): void {
  w.message(field, (n) => {
    for (const i of node.inputs) n.string(1, i);
    for (const o of node.outputs) n.string(2, o);
    n.string(3, name);
    n.string(4, node.op);
    for (const [attr, value] of Object.entries(node.attributes ?? {})) {
      n.message(5, (a) => {
        a.string(1, attr);
        a.int(3, value);
        a.int(20, 2); // AttributeType.INT
      });
    }
  });
}

export function writeValueInfo(w: Writer, field: number, v: OnnxValue): void {
  valueInfo(w, field, v);
}

function valueInfo(w: Writer, field: number, v: OnnxValue): void {
  w.message(field, (vi) => {
    vi.string(1, v.name);
    vi.message(2, (type) =>
      type.message(1, (tensor) => {
        tensor.int(1, v.type);
        tensor.message(2, (shape) => {
          for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        });
      }),
    );
  });
}

/** A serialised ONNX model (IR 8, default opset 17) of the given nodes, inputs and outputs. */
export function onnxModel(nodes: OnnxNode[], inputs: OnnxValue[], outputs: OnnxValue[], name = 'gla'): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'gla-studio'); // producer_name
  w.message(7, (graph) => {
    nodes.forEach((node, k) => writeNode(graph, 1, node, `${node.op}_${k}`));
    graph.string(2, name);
    for (const v of inputs) valueInfo(graph, 11, v);
    for (const v of outputs) valueInfo(graph, 12, v);
  });
  w.message(8, (opset) => {
    opset.string(1, '');
    opset.int(2, 17);
  });
  return w.finish();
}
