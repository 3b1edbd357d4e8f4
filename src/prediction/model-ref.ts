import { Prisma, type PrismaClient } from '../db/generated/client.js';
import { errors } from '../errors.js';

/** A parsed model reference: `name@alias` or `name/version`. */
export type ModelRef = { name: string; alias: string; version?: undefined } | { name: string; version: number; alias?: undefined };

/** The model version a reference points at now, and where its artifact is. */
export interface ResolvedModel {
  /** the reference as given */
  reference: string;
  modelName: string;
  /** the immutable version id: the cache key of a loaded model */
  versionId: string;
  version: number;
  /** the alias the reference went through, if any */
  alias: string | null;
  runId: string | null;
  /** model.json's location relative to the artifact store, and its sha256 as training recorded it */
  artifactUri: string | null;
  artifactChecksum: string | null;
  /** how tagfusion serves it: `tagfusion-head`, `onnx`, or null (a head registered before formats, or unservable) */
  format: string | null;
  /** why it cannot be served, as the registry found; null when it can */
  unservableReason: string | null;
  /** what it eats and returns, as the registry recorded it (an external version's normalised model card) */
  signature: unknown;
}

// Names and aliases may hold letters, digits and . _ -; the registry enforces its own rules on
// creation, this only has to tell the two forms apart without ambiguity.
const FORM = /^([^@/\s]+)(?:@([^@/\s]+)|\/(\d+))$/;

/** Parses "name@alias" or "name/3"; anything else is a BAD_INPUT naming the reference. */
export function parseModelRef(reference: string): ModelRef {
  const m = FORM.exec(reference.trim());
  if (!m) throw errors.badInput(`model "${reference}" is not a model reference: write name@alias (e.g. tagger@champion) or name/version (e.g. tagger/3)`, { field: 'model' });
  if (m[2] !== undefined) return { name: m[1], alias: m[2] };
  const version = Number(m[3]);
  if (!Number.isSafeInteger(version) || version < 1) throw errors.badInput(`model "${reference}": versions are numbered from 1`, { field: 'model' });
  return { name: m[1], version };
}

const artifactSelect = { select: { uri: true, checksum: true } } as const;
const versionSelect = { id: true, version: true, runId: true, format: true, unservableReason: true, signature: true, artifact: artifactSelect, run: { select: { artifacts: { where: { name: 'model' }, ...artifactSelect } } } } as const;

interface RefRow {
  modelName: string;
  versionId: string | null;
  version: number | null;
  runId: string | null;
  artifactUri: string | null;
  artifactChecksum: string | null;
  format: string | null;
  unservableReason: string | null;
  signature: unknown;
}

/**
 * Resolves a reference against the registry tables, now, so that a moved alias answers with its
 * new version at once. One statement over unique indexes (Prisma's nested select took several
 * round trips, a third of a text-only prediction). Missing models, aliases and versions are
 * catalogue errors naming the reference, and so is a soft-deleted version (MLflow's lifecycle:
 * it is gone from every read). A version normally names its artifact; one registered from a run
 * alone uses the run's model.
 */
export async function resolveModelRef(prisma: PrismaClient, reference: string): Promise<ResolvedModel> {
  const ref = parseModelRef(reference);
  const pick =
    ref.alias !== undefined
      ? Prisma.sql`LEFT JOIN "ModelAlias" al ON al."modelId" = m.id AND al.alias = ${ref.alias} LEFT JOIN "ModelVersion" v ON v.id = al."versionId" AND v."deletedAt" IS NULL`
      : Prisma.sql`LEFT JOIN "ModelVersion" v ON v."modelId" = m.id AND v.version = ${ref.version} AND v."deletedAt" IS NULL`;
  const rows = await prisma.$queryRaw<RefRow[]>`
    SELECT m.name AS "modelName", v.id AS "versionId", v.version, v."runId", v.format, v."unservableReason", v.signature,
           COALESCE(a.uri, ra.uri) AS "artifactUri", COALESCE(a.checksum, ra.checksum) AS "artifactChecksum"
    FROM "RegisteredModel" m ${pick}
    LEFT JOIN "Artifact" a ON a.id = v."artifactId"
    LEFT JOIN "Artifact" ra ON v."artifactId" IS NULL AND ra."runId" = v."runId" AND ra.name = 'model'
    WHERE m.name = ${ref.name}`;
  const row = rows[0];
  if (!row) throw errors.modelNotFound(ref.name);
  if (!row.versionId) throw ref.alias !== undefined ? errors.aliasNotFound(ref.name, ref.alias) : errors.versionNotFound(ref.name, `version ${ref.version}`);
  const { format, unservableReason, signature } = row;
  return { reference, modelName: row.modelName, versionId: row.versionId, version: Number(row.version), alias: ref.alias ?? null, runId: row.runId, artifactUri: row.artifactUri, artifactChecksum: row.artifactChecksum, format, unservableReason, signature };
}

/** The version with this id (a prediction set pins one), as a resolved reference `name/version`. */
export async function resolveVersionId(prisma: PrismaClient, versionId: string): Promise<ResolvedModel> {
  const v = await prisma.modelVersion.findUnique({ where: { id: versionId }, select: { ...versionSelect, model: { select: { name: true } } } });
  // Prediction sets cascade with their version, so a pinned id that is gone is a broken invariant.
  if (!v) throw new Error(`model version ${versionId} does not exist`);
  return toResolved(`${v.model.name}/${v.version}`, v.model.name, null, v);
}

type ArtifactRow = { uri: string; checksum: string };
type VersionRow = { id: string; version: number; runId: string | null; format: string | null; unservableReason: string | null; signature: unknown; artifact: ArtifactRow | null; run: { artifacts: ArtifactRow[] } | null };

function toResolved(reference: string, modelName: string, alias: string | null, v: VersionRow): ResolvedModel {
  // A version normally names its artifact; one registered from a run alone uses the run's model.
  const artifact = v.artifact ?? v.run?.artifacts[0] ?? null;
  return {
    reference,
    modelName,
    versionId: v.id,
    version: v.version,
    alias,
    runId: v.runId,
    artifactUri: artifact?.uri ?? null,
    artifactChecksum: artifact?.checksum ?? null,
    format: v.format,
    unservableReason: v.unservableReason,
    signature: v.signature,
  };
}
