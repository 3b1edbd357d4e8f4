interface RefServices {
  datasets: { resolveRef(ref: string): Promise<string> };
  runs: { resolveRef(ref: string): Promise<string> };
}

const DATASET_KEYS = ['datasetId', 'unlabelledDatasetId'] as const;
const DATASET_LIST_KEYS = ['extraTrainDatasetIds'] as const;
const RUN_KEYS = ['runId'] as const;
const RUN_LIST_KEYS = ['componentRunIds'] as const;

type Refs = Partial<Record<(typeof DATASET_KEYS)[number] | (typeof RUN_KEYS)[number], string | null>> &
  Partial<Record<(typeof DATASET_LIST_KEYS)[number] | (typeof RUN_LIST_KEYS)[number], readonly string[] | null>>;

/**
 * The one place where names become ids: an input's dataset fields (id, `name`, `name@version`)
 * and run fields (id, unique name, id start) replaced by the ids they name, so that every
 * service below sees ids only. GraphQL resolvers and the in-process CLI both pass their input
 * through here. Unknown references fail here, with hints (src/refs/dataset-ref.ts, run-ref.ts).
 */
export async function resolveRefs<T extends Refs>(services: RefServices, input: T): Promise<T> {
  const out: Record<string, unknown> = { ...input };
  for (const key of DATASET_KEYS) if (typeof input[key] === 'string') out[key] = await services.datasets.resolveRef(input[key]);
  for (const key of RUN_KEYS) if (typeof input[key] === 'string') out[key] = await services.runs.resolveRef(input[key]);
  for (const key of DATASET_LIST_KEYS) if (input[key]) out[key] = await Promise.all(input[key].map((r) => services.datasets.resolveRef(r)));
  for (const key of RUN_LIST_KEYS) if (input[key]) out[key] = await Promise.all(input[key].map((r) => services.runs.resolveRef(r)));
  return out as T;
}

/** Several run references (compare --runs, compareRuns ids) as ids, in order. */
export const resolveRunRefs = (services: RefServices, refs: readonly string[]) => Promise.all(refs.map((r) => services.runs.resolveRef(r)));
