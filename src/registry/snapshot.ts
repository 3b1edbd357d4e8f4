import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errors, isAppError } from '../errors.js';
import { mirrorFor } from '../storage/mirror.js';
import type { MetricSnapshot } from './promotion.js';

/** An encoder a registered model needs to encode new inputs the same way. */
export interface EncoderRef {
  modality: 'text' | 'image';
  id: string;
  /** hash of weights and configuration; null when the run did not record one (fine-tuned BERT) */
  version: string | null;
}

export interface ArtifactRow {
  uri: string;
  sizeBytes: bigint;
  checksum: string;
}

/**
 * Reads the artifact file and checks its size and sha256 against the `Artifact` row, so that a
 * partial write, a truncated copy or a file replaced after training is never registered. With a
 * bucket, a machine whose folder lacks the file downloads it first, then checks the local copy.
 */
export async function verifyArtifact(root: string, runId: string, artifact: ArtifactRow): Promise<void> {
  const base = resolve(root);
  const path = resolve(base, artifact.uri);
  if (!path.startsWith(base + sep)) throw errors.artifactInvalid(runId, artifact.uri, 'lies outside the artifact store');
  const mirror = mirrorFor(base);
  await mirror.ensureLocal(path).catch((err) => {
    if (isAppError(err) && err.code === 'STORE_OBJECT_MISSING') throw errors.artifactInvalid(runId, artifact.uri, `is missing from ${base} and from the store ${mirror.store.location}`);
    throw err;
  });
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw errors.artifactInvalid(runId, artifact.uri, `is missing from ${base}`);
  if (BigInt(info.size) !== artifact.sizeBytes) throw errors.artifactInvalid(runId, artifact.uri, `is ${info.size} bytes, not the ${artifact.sizeBytes} recorded`);
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const actual = hash.digest('hex');
  if (actual !== artifact.checksum) throw errors.artifactInvalid(runId, artifact.uri, `has sha256 ${actual}, not the ${artifact.checksum} recorded`);
}

interface RunSummary {
  val?: Record<string, unknown>;
  bestEpoch?: number;
  encoders?: Partial<Record<'text' | 'image', { id?: string; version?: string } | null>>;
  components?: string[];
}

const asSummary = (json: unknown): RunSummary => (json && typeof json === 'object' && !Array.isArray(json) ? (json as RunSummary) : {});

/** The encoders of a run's summary; a fusion of runs needs its components' encoders. */
export function encodersOf(summary: unknown, componentSummaries: unknown[] = []): EncoderRef[] {
  const out: EncoderRef[] = [];
  for (const s of [summary, ...componentSummaries].map(asSummary)) {
    for (const modality of ['text', 'image'] as const) {
      const e = s.encoders?.[modality];
      if (!e?.id) continue;
      const ref = { modality, id: e.id, version: e.version ?? null };
      if (!out.some((o) => o.modality === ref.modality && o.id === ref.id && o.version === ref.version)) out.push(ref);
    }
  }
  return out;
}

/** The summary's best epoch, when it names one. */
export const bestEpochOf = (summary: unknown): number | undefined => {
  const e = asSummary(summary).bestEpoch;
  return typeof e === 'number' ? e : undefined;
};

/** Component runs of a fusion of runs (FM1–FM3 with componentRunIds). */
export const componentsOf = (summary: unknown): string[] => asSummary(summary).components?.filter((c) => typeof c === 'string') ?? [];

/**
 * Metrics frozen into the version, by split: every metric recorded at the best epoch, with the
 * summary's final validation metrics on top (they are the saved model's, thresholds included).
 */
export function metricsOf(summary: unknown, bestEpochRows: { split: string; name: string; value: number }[]): MetricSnapshot {
  const out: MetricSnapshot = {};
  for (const r of bestEpochRows) (out[r.split] ??= {})[r.name] = r.value;
  const val = asSummary(summary).val ?? {};
  for (const [k, v] of Object.entries(val)) if (typeof v === 'number' && Number.isFinite(v)) (out.val ??= {})[k] = v;
  return out;
}
