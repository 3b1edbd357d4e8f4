import { ENCODER_KINDS } from '../ml/encoders/registry.js';
import type { CardInput, ModelCard } from './model-card.js';
import { ONNX_FLOAT, ONNX_INT32, ONNX_INT64, type OnnxGraph, type OnnxValue } from './onnx-graph.js';
import type { SignatureInput } from './signature.js';

/** Why a folder cannot be served; thrown while reading it, recorded on the version. */
export class Unservable extends Error {}

/** Inputs a tokenizer fills in besides the token ids. */
const TOKENIZER_INPUTS = ['attention_mask', 'token_type_ids'];

const fits = (actual: number | null | undefined, wanted: number) => actual === null || actual === undefined || actual === wanted;

/** Checks one ONNX value's element type and rank (files that leave them out pass). */
function typed(v: OnnxValue, types: number[], rank: number, what: string): (number | null)[] | null {
  if (v.elemType !== 0 && !types.includes(v.elemType)) throw new Unservable(`${what} must be ${types.includes(ONNX_FLOAT) ? 'a float' : 'an int64 or int32'} tensor`);
  if (v.shape && v.shape.length !== rank) throw new Unservable(`${what} must have ${rank} axes, it has ${v.shape.length}`);
  return v.shape;
}

/** The modality an input carries, from its kind or its encoder. */
function modalityOf(input: CardInput, where: string): 'text' | 'image' {
  if (input.kind === 'image') return 'image';
  if (input.kind === 'tokens') return 'text';
  const encoder = ENCODER_KINDS[input.encoder];
  if (!encoder) throw new Unservable(`${where}.encoder is not an encoder tagfusion knows (${Object.keys(ENCODER_KINDS).join(', ')})`);
  if (encoder.fitted({ id: input.encoder }) && !input.encoderRunId) throw new Unservable(`${where}: encoder ${input.encoder} is fitted on a run's training data; name that run in encoderRunId`);
  return encoder.modality;
}

/** The axes an input must have, checked against its card entry. */
function inputShape(input: CardInput, v: OnnxValue, where: string): (number | null)[] | null {
  if (input.kind === 'features') return typed(v, [ONNX_FLOAT], 2, `${where} (features)`);
  if (input.kind === 'tokens') {
    const shape = typed(v, [ONNX_INT64, ONNX_INT32], 2, `${where} (tokens)`);
    if (shape && !fits(shape[1], input.maxLength)) throw new Unservable(`${where} (tokens) has ${shape[1]} positions, but maxLength is ${input.maxLength}`);
    return shape;
  }
  const shape = typed(v, [ONNX_FLOAT], 4, `${where} (image)`);
  const [h, w] = input.size;
  const want = input.layout === 'NCHW' ? [3, h, w] : [h, w, 3];
  if (shape && !want.every((n, i) => fits(shape[i + 1], n))) throw new Unservable(`${where} (image) is not ${input.layout} with 3 channels of ${h}x${w}`);
  return shape;
}

/**
 * Matches the card against the model's graph: every card input is an input of the model and
 * every model input is in the card, with types and axes that fit; the output gives one logit per
 * label. Returns the signature's inputs with their ONNX shapes. Reasons name card fields, never
 * the names or values the files hold.
 */
export function checkCard(card: ModelCard, graph: OnnxGraph): { inputs: SignatureInput[]; outputShape: (number | null)[] | null } {
  const inputs = card.inputs.map((input, i) => {
    const where = `inputs[${i}]`;
    const v = graph.inputs.find((g) => g.name === input.name);
    if (!v) throw new Unservable(`${where}.name is not an input of the model`);
    const { name, kind, ...rest } = input;
    return { name, kind, modality: modalityOf(input, where), ...rest, shape: inputShape(input, v, where) } as SignatureInput;
  });
  const described = new Set(card.inputs.map((i) => i.name));
  // A tokenizer gives a text model its attention mask and token types beside the ids
  // (Hugging Face's exports take them as inputs); prediction feeds them from the tokenizer.
  if (card.inputs.some((i) => i.kind === 'tokens')) for (const name of TOKENIZER_INPUTS) described.add(name);
  const missing = graph.inputs.filter((g) => !described.has(g.name)).length;
  if (missing) throw new Unservable(`the model has ${missing} input${missing === 1 ? '' : 's'} the card does not describe`);
  const out = graph.outputs.find((g) => g.name === card.output.name);
  if (!out) throw new Unservable('output.name is not an output of the model');
  const outputShape = typed(out, [ONNX_FLOAT], 2, 'output (logits)');
  const labels = card.output.labels.length;
  if (outputShape && !fits(outputShape[1], labels)) throw new Unservable(`the model's output has ${outputShape[1]} columns, but output.labels lists ${labels} label ids`);
  return { inputs, outputShape };
}
