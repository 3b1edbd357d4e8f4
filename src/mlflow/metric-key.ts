/**
 * MLflow names a metric with one flat key; tagfusion with a (name, split) pair, so that
 * `val/loss` and `train/loss` are one metric on two splits in its charts and filters. The
 * mapping is a bijection (docs/MLFLOW.md):
 *
 * - a metric with a split is the key `split/name`, one without a split is the key `name`;
 * - a key is cut at its FIRST '/' when both sides are non-empty (`val/top/1` is `top/1` on
 *   `val`), else it is a name without a split (`/x`, `x/`, `x`);
 * - a split never holds a '/', and a name logged without a split is cut the same way
 *   (`canonicalMetric`), so two pairs never share a key.
 */
export interface MetricName {
  name: string;
  split: string;
}

/** The flat MLflow key of a (name, split) pair. */
export const metricKey = (name: string, split: string): string => (split ? `${split}/${name}` : name);

/** The (name, split) pair a flat MLflow key stands for. */
export function parseMetricKey(key: string): MetricName {
  const cut = key.indexOf('/');
  if (cut > 0 && cut < key.length - 1) return { split: key.slice(0, cut), name: key.slice(cut + 1) };
  return { name: key, split: '' };
}

/**
 * The one spelling of a metric that every writer stores: a name without a split is read as a
 * flat key (`val/loss` with no split is `loss` on `val`); a name with a split is kept as given.
 */
export const canonicalMetric = (name: string, split: string): MetricName => (split ? { name, split } : parseMetricKey(name));
