import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isAppError } from '../errors.js';
import { checkCard, Unservable } from './card-check.js';
import { readMlModel } from './mlmodel.js';
import { readCard, type ModelCard } from './model-card.js';
import { NotOnnxError, readOnnxGraph } from './onnx-graph.js';
import type { Client } from './repository.js';
import type { Signature } from './signature.js';
import { encodersOf, verifyArtifact, type EncoderRef } from './snapshot.js';
import { artifactsUnder, datasetLabelIds, runSummary, type FolderFile } from './sources.js';

/** What a version made from an artifact folder records about serving it. */
export interface FolderVersion {
  /** 'onnx' when tagfusion can serve it, else null */
  format: 'onnx' | null;
  unservableReason: string | null;
  signature: Signature | null;
  /** the ONNX file's Artifact row and sha256 */
  artifactId: string | null;
  artifactChecksum: string | null;
  datasetId: string | null;
  encoders: EncoderRef[];
}

/** A card or an MLmodel is a few KB; anything past this is not one. */
const MAX_CARD_BYTES = 1024 * 1024;

const unservable = (reason: string): FolderVersion => ({ format: null, unservableReason: reason, signature: null, artifactId: null, artifactChecksum: null, datasetId: null, encoders: [] });

interface Reader {
  c: Client;
  root: string;
  runId: string;
  files: Map<string, FolderFile>;
}

/**
 * Checks a file against its recorded size and sha256 (downloading it from the bucket when this
 * machine lacks it). A damaged or missing file makes the version unservable; a store that does
 * not answer is an error of this request, never recorded as the version's state.
 */
async function verified(r: Reader, file: FolderFile, what: string): Promise<string> {
  try {
    await verifyArtifact(r.root, r.runId, file);
  } catch (err) {
    if (isAppError(err) && err.code === 'ARTIFACT_INVALID') throw new Unservable(`${what} could not be read intact (missing, or not the size and sha256 recorded)`);
    throw err;
  }
  return resolve(r.root, file.uri);
}

async function readSmall(r: Reader, name: string): Promise<string> {
  const file = r.files.get(name)!;
  if (file.sizeBytes > MAX_CARD_BYTES) throw new Unservable(`${name} is larger than 1 MiB`);
  return readFile(await verified(r, file, name), 'utf8');
}

async function cardFile(r: Reader): Promise<ModelCard> {
  let json: unknown;
  try {
    json = JSON.parse(await readSmall(r, 'model-card.json'));
  } catch (err) {
    if (err instanceof SyntaxError) throw new Unservable('model-card.json is not valid JSON');
    throw err;
  }
  const read = readCard(json, 'model-card.json');
  if ('reason' in read) throw new Unservable(read.reason);
  return read.card;
}

/** The card and the ONNX file it describes: from model-card.json, or from an MLmodel with the onnx flavour. */
async function findCard(r: Reader): Promise<{ card: ModelCard; model: string }> {
  const hasCard = r.files.has('model-card.json');
  const mlmodel = r.files.has('MLmodel') ? readMlModel(await readSmall(r, 'MLmodel')) : null;
  if (r.files.has('MLmodel') && !mlmodel) throw new Unservable('MLmodel is not a YAML mapping');
  if (mlmodel?.onnxFile) {
    if (mlmodel.card === undefined && !hasCard) throw new Unservable('the MLmodel has the onnx flavour, but neither its metadata.tagfusion nor a model-card.json beside it describes the inputs and outputs');
    const read = mlmodel.card === undefined ? { card: await cardFile(r) } : readCard(mlmodel.card, 'MLmodel metadata.tagfusion');
    if ('reason' in read) throw new Unservable(read.reason);
    return { card: read.card, model: read.card.model ?? mlmodel.onnxFile };
  }
  if (!hasCard) throw new Unservable('no model-card.json and no MLmodel with an onnx flavour');
  const card = await cardFile(r);
  if (card.format !== 'onnx') throw new Unservable('model-card.json: format must be "onnx"');
  if (!card.model) throw new Unservable('model-card.json: model must name the ONNX file');
  return { card, model: card.model };
}

/** Checks what the card points at in tagfusion: the encoders' runs, the dataset, the tokenizers. */
async function checkReferences(r: Reader, card: ModelCard): Promise<void> {
  for (const [i, input] of card.inputs.entries()) {
    if (input.kind === 'features' && input.encoderRunId) {
      const summary = await runSummary(r.c, input.encoderRunId);
      if (summary === undefined) throw new Unservable(`inputs[${i}].encoderRunId names no run of this server`);
      if (!encodersOf(summary).some((e) => e.id === input.encoder)) throw new Unservable(`inputs[${i}]: the run in encoderRunId did not use encoder ${input.encoder}`);
    }
    if (input.kind === 'tokens' && !r.files.has(`${input.tokenizer}/tokenizer.json`)) throw new Unservable(`inputs[${i}].tokenizer holds no tokenizer.json in the folder`);
  }
  if (card.datasetId) {
    const labels = await datasetLabelIds(r.c, card.datasetId);
    if (!labels) throw new Unservable('datasetId names no dataset of this server');
    const known = new Set(labels);
    if (!card.output.labels.every((id) => known.has(id))) throw new Unservable('output.labels holds ids that are not labels of the dataset');
  }
}

/**
 * Decides whether tagfusion can serve the model in a run's artifact folder, and records what it
 * eats and returns (docs/MODEL_CARD.md). Anything short of a readable ONNX file with a matching
 * card gives an unservable version with the reason: MLflow registers any folder, and so do we.
 */
export async function inspectFolder(c: Client, root: string, runId: string, folder: string): Promise<FolderVersion> {
  const r: Reader = { c, root, runId, files: await artifactsUnder(c, runId, folder) };
  if (!r.files.size) return unservable('the folder holds no files');
  try {
    const { card, model } = await findCard(r);
    const file = r.files.get(model);
    if (!file) throw new Unservable('the ONNX file the card names is not in the folder');
    const path = await verified(r, file, 'the ONNX file');
    const graph = await readOnnxGraph(path).catch((err) => {
      throw err instanceof NotOnnxError ? new Unservable('the ONNX file is not an ONNX model') : err;
    });
    const { inputs, outputShape } = checkCard(card, graph);
    await checkReferences(r, card);
    const { output, labelPolicy, datasetId } = card;
    const signature: Signature = { inputs, labels: output.labels, folder, model, output: { name: output.name, kind: 'logits', shape: outputShape }, labelPolicy, ...(datasetId ? { datasetId } : {}) };
    const encoders = inputs.filter((i) => i.kind === 'features').map((i) => ({ modality: i.modality, id: i.encoder!, version: null }));
    return { format: 'onnx', unservableReason: null, signature, artifactId: file.id, artifactChecksum: file.checksum, datasetId: datasetId ?? null, encoders };
  } catch (err) {
    if (err instanceof Unservable) return unservable(err.message);
    throw err;
  }
}
