/** A hyperparameter value as users give it. */
export type ParamValue = string | number | boolean;

/**
 * Stores every param as text (exact, for equality) and, when it is a number or a boolean, as a
 * number too, so that `lr > 1e-4` is a numeric comparison and not a string one.
 */
export function encodeParam(value: ParamValue): { valueText: string; valueNum: number | null } {
  if (typeof value === 'number') return { valueText: String(value), valueNum: Number.isFinite(value) ? value : null };
  if (typeof value === 'boolean') return { valueText: String(value), valueNum: value ? 1 : 0 };
  return { valueText: value, valueNum: null };
}

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A param logged as text (MLflow's params are strings): the text is kept exactly as written
 * (`1e-3` stays `1e-3`), and a number written as text is also stored as a number, so that
 * filters and orderings compare it numerically.
 */
export function encodeParamText(text: string): { valueText: string; valueNum: number | null } {
  const n = NUMBER_TEXT.test(text.trim()) ? Number(text) : NaN;
  return { valueText: text, valueNum: Number.isFinite(n) ? n : null };
}

/** Flattens a nested config into dotted keys (`optimizer.lr`), the form params are queried by. */
export function flattenConfig(config: Record<string, unknown>, prefix = ''): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [key, value] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value === null || value === undefined) continue;
    if (typeof value === 'object' && !Array.isArray(value)) Object.assign(out, flattenConfig(value as Record<string, unknown>, path));
    else if (Array.isArray(value)) out[path] = JSON.stringify(value);
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[path] = value;
  }
  return out;
}
