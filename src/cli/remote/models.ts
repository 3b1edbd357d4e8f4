import type { RegisterFlags } from '../models.js';
import type { RemoteApi } from './api.js';

/** One registered model as `tagfusion models` prints it, through a server or in-process. */
export interface ModelListing {
  name: string;
  description: string | null;
  tags: unknown;
  aliases: { alias: string; version: number; protected: boolean }[];
  versions: { version: number; description: string | null; runId: string | null; createdAt: Date | string; createdBy: string | null; val: Record<string, number>; tags: unknown }[];
}

type RemoteModel = Omit<ModelListing, 'versions'> & { versions: (Omit<ModelListing['versions'][number], 'val'> & { metrics: { val?: Record<string, number> } })[] };

const QUERY = `query($after: String) {
  registeredModels(first: 500, after: $after) {
    nodes { name description tags aliases { alias version protected } versions { version description runId createdAt createdBy metrics tags } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Every registered model, read page by page from the server's registeredModels query. */
export async function remoteModels(api: RemoteApi): Promise<ModelListing[]> {
  const out: ModelListing[] = [];
  for (let after: string | null = null; ; ) {
    const { registeredModels: page }: { registeredModels: { nodes: RemoteModel[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await api.request(QUERY, { after });
    for (const m of page.nodes) out.push({ ...m, versions: m.versions.map((v) => ({ version: v.version, description: v.description, runId: v.runId, createdAt: v.createdAt, createdBy: v.createdBy, val: v.metrics.val ?? {}, tags: v.tags })) });
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

/** A registration's outcome, as the registry service and the registerModelVersion mutation both return it. */
export interface Registered {
  version: { id: string; version: number; runId: string | null; artifactChecksum: string | null; metrics: unknown; encoders: unknown };
  created: boolean;
}

/** `tagfusion register` through a running server (the run may be named as in-process: the server resolves it). */
export async function remoteRegister(api: RemoteApi, o: RegisterFlags): Promise<Registered> {
  const { registerModelVersion } = await api.request<{ registerModelVersion: Registered }>(
    `mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { version { id version runId artifactChecksum metrics encoders } created } }`,
    { i: { runId: o.run, model: o.model, description: o.description } },
  );
  return registerModelVersion;
}

/** An alias move as `promote` prints it. */
export interface AliasMoved {
  version: number;
  protected: boolean;
  previousVersion: number | null;
  changed: boolean;
}

/** `tagfusion promote` through a running server: the moveAlias mutation (--expect and --allow-signature-change as in-process). */
export async function remotePromote(api: RemoteApi, input: { model: string; alias: string; version: number; expectedVersion?: number; allowSignatureChange: boolean }): Promise<AliasMoved> {
  const { moveAlias: m } = await api.request<{ moveAlias: { alias: { version: number; protected: boolean }; previousVersion: number | null; changed: boolean } }>(
    `mutation($i: MoveAliasInput!) { moveAlias(input: $i) { alias { version protected } previousVersion changed } }`,
    { i: input },
  );
  return { version: m.alias.version, protected: m.alias.protected, previousVersion: m.previousVersion, changed: m.changed };
}
