import { parse } from 'yaml';

/** What tagfusion reads of an MLflow `MLmodel` file. */
export interface MlModel {
  /** `flavors.onnx.data`: the ONNX file, relative to the folder; null without the onnx flavour */
  onnxFile: string | null;
  /** `metadata.tagfusion`: a model card written into the MLmodel (undefined when absent) */
  card: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads an `MLmodel` (YAML, as `mlflow.onnx.save_model` writes it). Null when the text is not a
 * YAML mapping. The parser's alias limit keeps a "billion laughs" file from expanding.
 */
export function readMlModel(text: string): MlModel | null {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100, prettyErrors: false });
  } catch {
    return null;
  }
  if (!isObject(doc)) return null;
  const onnx = isObject(doc.flavors) ? doc.flavors.onnx : undefined;
  const data = isObject(onnx) ? onnx.data : undefined;
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  return { onnxFile: typeof data === 'string' && data !== '' ? data : null, card: metadata.tagfusion };
}
