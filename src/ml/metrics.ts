/**
 * Multi-label classification metrics, from 0/1 prediction and truth matrices (row-major,
 * n samples × c classes). Conventions follow scikit-learn with zero_division=0: a class with
 * no predicted and no true positives has precision, recall and F1 of 0.
 */

export interface ClassStats {
  /** position in the label vector */
  index: number;
  precision: number;
  recall: number;
  f1: number;
  /** (tp + tn) / n for this class */
  accuracy: number;
  /** true occurrences */
  support: number;
}

export interface MultiLabelMetrics {
  /** F1 over all (sample, class) decisions pooled */
  microF1: number;
  /** mean of per-class F1 */
  macroF1: number;
  /** mean over samples of each sample's F1 (the Kaggle competition's metric) */
  samplesF1: number;
  /** mean of per-class accuracy (the paper's "mean accuracy") */
  meanAccuracy: number;
  /** share of samples whose whole label set is right */
  subsetAccuracy: number;
  perClass: ClassStats[];
}

const f1Of = (tp: number, fp: number, fn: number) => (tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));

export function multiLabelMetrics(pred: Uint8Array, truth: Uint8Array, n: number, c: number): MultiLabelMetrics {
  if (pred.length !== n * c || truth.length !== n * c) throw new Error(`metrics: expected ${n}×${c} matrices`);
  const tp = new Float64Array(c);
  const fp = new Float64Array(c);
  const fn = new Float64Array(c);
  let samplesF1 = 0;
  let exact = 0;
  for (let i = 0; i < n; i++) {
    let stp = 0;
    let sfp = 0;
    let sfn = 0;
    for (let j = 0; j < c; j++) {
      const p = pred[i * c + j];
      const t = truth[i * c + j];
      if (p && t) stp++;
      else if (p) sfp++;
      else if (t) sfn++;
    }
    for (let j = 0; j < c; j++) {
      const p = pred[i * c + j];
      const t = truth[i * c + j];
      if (p && t) tp[j]++;
      else if (p) fp[j]++;
      else if (t) fn[j]++;
    }
    samplesF1 += f1Of(stp, sfp, sfn);
    if (sfp === 0 && sfn === 0) exact++;
  }
  const perClass: ClassStats[] = [];
  let sumTp = 0;
  let sumFp = 0;
  let sumFn = 0;
  for (let j = 0; j < c; j++) {
    sumTp += tp[j];
    sumFp += fp[j];
    sumFn += fn[j];
    perClass.push({
      index: j,
      precision: tp[j] + fp[j] === 0 ? 0 : tp[j] / (tp[j] + fp[j]),
      recall: tp[j] + fn[j] === 0 ? 0 : tp[j] / (tp[j] + fn[j]),
      f1: f1Of(tp[j], fp[j], fn[j]),
      accuracy: n === 0 ? 0 : (n - fp[j] - fn[j]) / n,
      support: tp[j] + fn[j],
    });
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    microF1: f1Of(sumTp, sumFp, sumFn),
    macroF1: mean(perClass.map((s) => s.f1)),
    samplesF1: n ? samplesF1 / n : 0,
    meanAccuracy: mean(perClass.map((s) => s.accuracy)),
    subsetAccuracy: n ? exact / n : 0,
    perClass,
  };
}
