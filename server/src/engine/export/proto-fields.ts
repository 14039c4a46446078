// The protobuf wire format only as far as `gla export` needs it: a message split into its fields, each kept as its
// raw bytes, so another model's graph is copied field by field and only its names are rewritten (onnx-graph.ts).
import { UserError } from '../../errors';

export interface ProtoField {
  field: number;
  wire: number;
  /** The whole field, key included: what a copy appends unchanged. */
  bytes: Uint8Array;
  /** A length-delimited field's payload (a string, bytes or an embedded message). */
  payload: Uint8Array;
  /** A varint field's value (the ints ONNX's names and types need fit in a double). */
  value: number;
}

function varint(buf: Uint8Array, at: number, what: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let k = 0; k < 10; k++) {
    if (at >= buf.length) break;
    const byte = buf[at++];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (!(byte & 0x80)) return [value, at];
  }
  throw new UserError(`${what}: not a valid ONNX model (a damaged protobuf varint)`);
}

/** The fields of one message in the order they were written; groups (wire types 3 and 4) are not in ONNX. */
export function protoFields(buf: Uint8Array, what: string): ProtoField[] {
  const out: ProtoField[] = [];
  let at = 0;
  while (at < buf.length) {
    const start = at;
    const [key, afterKey] = varint(buf, at, what);
    at = afterKey;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let payload = buf.subarray(at, at);
    let value = 0;
    if (wire === 0) [value, at] = varint(buf, at, what);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [length, afterLength] = varint(buf, at, what);
      payload = buf.subarray(afterLength, afterLength + length);
      at = afterLength + length;
    } else throw new UserError(`${what}: not a valid ONNX model (protobuf wire type ${wire})`);
    if (at > buf.length || field === 0) throw new UserError(`${what}: not a valid ONNX model (truncated or damaged)`);
    out.push({ field, wire, bytes: buf.subarray(start, at), payload, value });
  }
  return out;
}

export function protoString(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
