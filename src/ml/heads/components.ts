import * as tf from '@tensorflow/tfjs';
import type { Component } from './kinds.js';

/** Named trainable tensors of one model. Names are stable: they are the artifact's keys. */
export type Params = Record<string, tf.Variable>;

export interface ComponentShape {
  textDim: number;
  imageDim: number;
  classes: number;
  /** hidden layer width of the dense heads; 0 = one fully connected layer, as in the paper */
  hiddenUnits: number;
  /** width of query/key/value in the cross-attention module */
  attentionDim: number;
  /**
   * The image feature is read as `imageTokens` tokens for the cross-attention: a feature made of
   * G blocks of T values (centernet-coco: a block of 80 class maxima, then 80 class means) gives
   * T tokens of G values each, so that the caption can attend to each COCO class.
   */
  imageTokens: number;
}

/** Glorot-uniform kernels and zero biases, from a seed (the same seed gives the same model). */
function dense(params: Params, name: string, inDim: number, outDim: number, seed: number): void {
  const limit = Math.sqrt(6 / (inDim + outDim));
  params[`${name}.kernel`] = variable(tf.randomUniform([inDim, outDim], -limit, limit, 'float32', seed), `${name}.kernel`);
  params[`${name}.bias`] = variable(tf.zeros([outDim]), `${name}.bias`);
}

/** A trainable variable from an initial value, which is then released. */
function variable(initial: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(initial, true, name);
  initial.dispose();
  return v;
}

function applyDense(params: Params, name: string, x: tf.Tensor): tf.Tensor {
  const k = params[`${name}.kernel`];
  const [inDim, outDim] = k.shape as [number, number];
  return tf.add(tf.matMul(x.reshape([-1, inDim]), k), params[`${name}.bias`]).reshape([...x.shape.slice(0, -1), outDim]);
}

function layerNorm(params: Params, name: string, x: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), params[`${name}.gamma`]), params[`${name}.beta`]);
}

/** Creates the parameters of one component, prefixed with its name. */
export function createComponent(component: Component, s: ComponentShape, seed: number, params: Params): void {
  const inDim = component === 'vision' ? s.imageDim : component === 'text' ? s.textDim : s.textDim + s.imageDim;
  if (component === 'xattn') {
    const groups = s.imageDim / s.imageTokens;
    dense(params, 'xattn.query', s.textDim, s.attentionDim, seed + 1);
    dense(params, 'xattn.key', groups, s.attentionDim, seed + 2);
    dense(params, 'xattn.value', groups, s.attentionDim, seed + 3);
    params['xattn.norm.gamma'] = variable(tf.ones([s.attentionDim]), 'xattn.norm.gamma');
    params['xattn.norm.beta'] = variable(tf.zeros([s.attentionDim]), 'xattn.norm.beta');
    const fused = s.attentionDim + s.textDim + s.imageDim;
    if (s.hiddenUnits > 0) {
      dense(params, 'xattn.hidden', fused, s.hiddenUnits, seed + 4);
      dense(params, 'xattn.out', s.hiddenUnits, s.classes, seed + 5);
    } else dense(params, 'xattn.out', fused, s.classes, seed + 5);
    return;
  }
  if (s.hiddenUnits > 0) {
    dense(params, `${component}.hidden`, inDim, s.hiddenUnits, seed + 1);
    dense(params, `${component}.out`, s.hiddenUnits, s.classes, seed + 2);
  } else dense(params, `${component}.out`, inDim, s.classes, seed + 2);
}

export interface Inputs {
  text?: tf.Tensor2D;
  image?: tf.Tensor2D;
}

export interface ForwardOptions {
  /** dropout rate while training; 0 in evaluation */
  dropout: number;
  seed: number;
}

function outputLayers(params: Params, prefix: string, x: tf.Tensor, o: ForwardOptions): tf.Tensor2D {
  let h = x;
  if (params[`${prefix}.hidden.kernel`]) {
    h = tf.relu(applyDense(params, `${prefix}.hidden`, h));
    if (o.dropout > 0) h = tf.dropout(h, o.dropout, undefined, o.seed);
  }
  return applyDense(params, `${prefix}.out`, h) as tf.Tensor2D;
}

/** Logits [N, classes] of one component. */
export function forwardComponent(component: Component, s: ComponentShape, params: Params, inputs: Inputs, o: ForwardOptions): tf.Tensor2D {
  if (component === 'vision') return outputLayers(params, 'vision', inputs.image!, o);
  if (component === 'text') return outputLayers(params, 'text', inputs.text!, o);
  const both = tf.concat([inputs.text!, inputs.image!], 1);
  if (component === 'fcnn') return outputLayers(params, 'fcnn', both, o);
  // Cross-attention (paper §fusion): text → query; image tokens → key and value;
  // output LayerNorm(A·V + Q), concatenated with the original features, then the FC layer.
  const n = inputs.image!.shape[0];
  const groups = s.imageDim / s.imageTokens;
  const tokens = inputs.image!.reshape([n, groups, s.imageTokens]).transpose([0, 2, 1]); // [N, T, G]
  const q = applyDense(params, 'xattn.query', inputs.text!).reshape([n, 1, s.attentionDim]);
  const k = applyDense(params, 'xattn.key', tokens); // [N, T, d]
  const v = applyDense(params, 'xattn.value', tokens);
  const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(s.attentionDim)); // [N, 1, T]
  const attended = tf.matMul(tf.softmax(scores), v).reshape([n, s.attentionDim]);
  const h = layerNorm(params, 'xattn.norm', tf.add(attended, q.reshape([n, s.attentionDim])));
  return outputLayers(params, 'xattn', tf.concat([h, both], 1), o);
}

export function countParameters(params: Params): number {
  return Object.values(params).reduce((sum, p) => sum + p.size, 0);
}
