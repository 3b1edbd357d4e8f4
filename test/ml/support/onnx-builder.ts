/**
 * Writes small ONNX models by hand-encoding the few protobuf messages a model needs (ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto), so tests can build models
 * whose output they can compute in plain JS. Field numbers are those of onnx/onnx.proto.
 */

/** An initializer: float32 weights or int64 values (shapes, axes). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: name and shape (numbers, or names for symbolic dimensions). */
export interface OnnxValue {
  name: string;
  shape: (number | string)[];
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** integer or integer-list attributes (all the tests need) */
  attributes?: Record<string, number | number[]>;
}

export interface OnnxGraph {
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  nodes: OnnxNode[];
  initializers?: OnnxTensor[];
  /** default-domain opset; default 13 */
  opset?: number;
}

/** Protobuf wire-format writer: varints and length-delimited fields are all ONNX needs here. */
class Writer {
  private readonly parts: number[] = [];

  varint(value: number | bigint): this {
    // int64 fields: negatives take ten bytes, as two's complement
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
    return this;
  }

  int(field: number, value: number | bigint): this {
    return this.varint(field << 3).varint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2).varint(value.length);
    for (const b of value) this.parts.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const FLOAT = 1;
const INT64 = 7;

function valueInfo(w: Writer, v: OnnxValue): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, FLOAT).message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

function tensor(w: Writer, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.data instanceof Float32Array ? FLOAT : INT64).string(8, t.name);
  // raw_data is little-endian, as typed arrays are on x86 and ARM
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function node(w: Writer, n: OnnxNode, index: number): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op}_${index}`).string(4, n.op);
  for (const [name, value] of Object.entries(n.attributes ?? {})) {
    w.message(5, (a) => {
      a.string(1, name);
      if (Array.isArray(value)) {
        for (const v of value) a.int(8, v);
        a.int(20, 7); // INTS
      } else {
        a.int(3, value).int(20, 2); // INT
      }
    });
  }
}

/** Serialises a graph as an ONNX ModelProto (IR version 8). */
export function onnxModel(graph: OnnxGraph): Uint8Array {
  return new Writer()
    .int(1, 8)
    .string(2, 'tagfusion-tests')
    .message(7, (g) => {
      graph.nodes.forEach((n, i) => g.message(1, (w) => node(w, n, i)));
      g.string(2, 'test-graph');
      for (const t of graph.initializers ?? []) g.message(5, (w) => tensor(w, t));
      for (const v of graph.inputs) g.message(11, (w) => valueInfo(w, v));
      for (const v of graph.outputs) g.message(12, (w) => valueInfo(w, v));
    })
    .message(8, (op) => op.string(1, '').int(2, graph.opset ?? 13))
    .finish();
}
