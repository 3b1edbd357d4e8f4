/**
 * Writes ONNX model files by hand (protobuf wire format, onnx.proto field numbers), so that tests
 * need neither Python nor an exporter. `linearOnnx` is a real model onnxruntime runs:
 * logits = x · W + b.
 */

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const int = (field: number, n: number) => Buffer.from([...varint(field * 8), ...varint(n)]);
const len = (field: number, body: Buffer) => Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(body.length)]), body]);
const str = (field: number, s: string) => len(field, Buffer.from(s, 'utf8'));
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

export const FLOAT = 1;
export const INT64 = 7;

/** One graph input or output: element type and axes (a number, or a name for a free axis). */
export interface ValueSpec {
  name: string;
  type?: number;
  dims: (number | string)[];
}

// ValueInfoProto{1 name, 2 TypeProto{1 Tensor{1 elem_type, 2 TensorShapeProto{1 Dimension{1 value | 2 param}}}}}
const valueInfo = (v: ValueSpec) => {
  const shape = cat(...v.dims.map((d) => len(1, typeof d === 'number' ? int(1, d) : str(2, d))));
  const tensorType = cat(int(1, v.type ?? FLOAT), len(2, shape));
  return cat(str(1, v.name), len(2, len(1, tensorType)));
};

// TensorProto{1 dims, 2 data_type, 8 name, 9 raw_data}
const tensor = (name: string, dims: number[], values: number[]) => {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return cat(...dims.map((d) => int(1, d)), int(2, FLOAT), str(8, name), len(9, raw));
};

// NodeProto{1 input, 2 output, 3 name, 4 op_type}
const node = (op: string, inputs: string[], outputs: string[]) => cat(...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op));

export interface ModelSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes?: Buffer[];
  weights?: Buffer[];
  /** list the weights among the inputs too, as files before IR version 4 do */
  weightsAsInputs?: ValueSpec[];
  irVersion?: number;
}

/** A ModelProto{1 ir_version, 2 producer_name, 7 graph, 8 opset_import{1 domain, 2 version}}. */
export function onnxModel(spec: ModelSpec): Buffer {
  const graph = cat(
    ...(spec.nodes ?? []).map((n) => len(1, n)),
    str(2, 'tagfusion-test'),
    ...(spec.weights ?? []).map((w) => len(5, w)),
    ...[...spec.inputs, ...(spec.weightsAsInputs ?? [])].map((v) => len(11, valueInfo(v))),
    ...spec.outputs.map((v) => len(12, valueInfo(v))),
  );
  return cat(int(1, spec.irVersion ?? 8), str(2, 'tagfusion-test'), len(7, graph), len(8, cat(str(1, ''), int(2, 13))));
}

/** A linear head: `input` [batch, features] → `output` [batch, labels], logits = x · W + b. */
export function linearOnnx(o: { features: number; labels: number; input?: string; output?: string; batch?: number | string; weights?: number[]; bias?: number[] }): Buffer {
  const input = o.input ?? 'features';
  const output = o.output ?? 'logits';
  const batch = o.batch ?? 'batch';
  const w = o.weights ?? Array.from({ length: o.features * o.labels }, (_, i) => ((i % 7) - 3) / 4);
  const b = o.bias ?? Array.from({ length: o.labels }, (_, i) => i / 10 - 0.1);
  return onnxModel({
    inputs: [{ name: input, dims: [batch, o.features] }],
    outputs: [{ name: output, dims: [batch, o.labels] }],
    nodes: [node('MatMul', [input, 'W'], ['xw']), node('Add', ['xw', 'b'], [output])],
    weights: [tensor('W', [o.features, o.labels], w), tensor('b', [o.labels], b)],
  });
}

/** A model with the given interface whose graph does nothing useful: registration reads interfaces only. */
export const interfaceOnnx = (inputs: ValueSpec[], outputs: ValueSpec[]) => onnxModel({ inputs, outputs, nodes: [node('Identity', [inputs[0].name], [outputs[0].name])] });

export { tensor as onnxTensor, node as onnxNode };
