/** Row-major feature matrices as flat Float32Arrays, and the column statistics heads use. */

export interface Normalization {
  mean: number[];
  std: number[];
}

/** Per-column mean and standard deviation (floored, so constant columns stay finite). */
export function columnStats(x: Float32Array, n: number, d: number): Normalization {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const t = x[i * d + j] - mean[j];
      sq[j] += t * t;
    }
  return { mean: Array.from(mean), std: Array.from(sq, (s) => Math.max(Math.sqrt(s / Math.max(1, n)), 1e-6)) };
}

/** (x − mean) / std, as a new matrix. */
export function normalize(x: Float32Array, d: number, s: Normalization): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i += d) for (let j = 0; j < d; j++) out[i + j] = (x[i + j] - s.mean[j]) / s.std[j];
  return out;
}

/** Copies the given rows into a new matrix (a batch). */
export function gatherRows(x: Float32Array, d: number, rows: ArrayLike<number>, out = new Float32Array(rows.length * d)): Float32Array {
  for (let r = 0; r < rows.length; r++) out.set(x.subarray(rows[r] * d, rows[r] * d + d), r * d);
  return out;
}
