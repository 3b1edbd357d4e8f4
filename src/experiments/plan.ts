import { errors } from '../errors.js';
import { seededRandom } from '../util/random.js';
import type { SweepInput } from './input.js';

/** One training run an experiment wants: a stable key (its identity across restarts) and its input. */
export interface Trial {
  key: string;
  name: string;
  input: Record<string, unknown>;
}

const MAX_TRIALS = 500;

/** Sets a dotted field (`augmentation.flip`) on a copy of `target`. */
export function withField(target: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (!rest.length) return { ...target, [head]: value };
  const inner = target[head];
  return { ...target, [head]: withField(inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : {}, rest.join('.'), value) };
}

/** Short text of a swept value for names and tables ({"id":"tfidf"} → tfidf). */
export function describeValue(v: unknown): string {
  if (v && typeof v === 'object' && 'id' in v) return String((v as { id: unknown }).id);
  if (typeof v === 'number') return String(Number(v.toPrecision(4)));
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * The trials of a sweep: every combination of the listed values (grid), or `trials` draws
 * (random: a value list is sampled uniformly, a range uniformly or log-uniformly).
 */
export function sweepTrials(input: SweepInput): Trial[] {
  const names = input.space.map((p) => p.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw errors.badInput(`space names ${duplicate} twice`, { field: 'space' });
  if (input.space.some((p) => p.name === 'datasetId')) throw errors.badInput('space cannot sweep datasetId (an experiment has one dataset)', { field: 'space' });
  if (input.space.some((p) => p.name === 'projectId')) throw errors.badInput("space cannot sweep projectId (an experiment's runs are in one project)", { field: 'space' });
  let assignments: Record<string, unknown>[];
  if (input.strategy === 'grid') {
    const ranged = input.space.find((p) => !p.values?.length);
    if (ranged) throw errors.badInput(`grid search needs values for ${ranged.name}; a min/max range needs strategy RANDOM`, { field: 'space' });
    const size = input.space.reduce((n, p) => n * p.values!.length, 1);
    if (size > MAX_TRIALS) throw errors.badInput(`the grid has ${size} combinations; at most ${MAX_TRIALS}`, { field: 'space' });
    assignments = input.space.reduce<Record<string, unknown>[]>((acc, p) => acc.flatMap((a) => p.values!.map((v) => ({ ...a, [p.name]: v }))), [{}]);
  } else {
    const next = seededRandom(input.seed);
    assignments = Array.from({ length: input.trials }, () =>
      Object.fromEntries(
        input.space.map((p) => {
          if (p.values?.length) return [p.name, p.values[Math.floor(next() * p.values.length)]];
          const [lo, hi] = [p.min!, p.max!];
          let v = p.log ? Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo))) : lo + next() * (hi - lo);
          if (p.integer) v = Math.round(v);
          return [p.name, v];
        }),
      ),
    );
  }
  return assignments.map((a, i) => {
    const label = Object.entries(a).map(([k, v]) => `${k}=${describeValue(v)}`).join(' ');
    let trialInput: Record<string, unknown> = { ...input.base, datasetId: input.datasetId, name: label };
    for (const [k, v] of Object.entries(a)) trialInput = withField(trialInput, k, v);
    return { key: `t${i}`, name: label, input: trialInput };
  });
}

/** The paper's Table 5, in its order: key, label, and the runs a fusion averages. */
export const ABLATION_CONFIGS = [
  { key: 'vision', label: 'Vision only', head: 'vision' },
  { key: 'text', label: 'Text only', head: 'text' },
  { key: 'fm1', label: 'FM1 (vision + text)', head: 'fm1', components: ['vision', 'text'] },
  { key: 'fcnn', label: '+FCNN', head: 'fcnn' },
  { key: 'fm2', label: 'FM2 (FM1 + FCNN)', head: 'fm2', components: ['vision', 'text', 'fcnn'] },
  { key: 'xattn', label: '+Cross-attention FCNN', head: 'xattn' },
  { key: 'fm3', label: 'FM3 (FM1 + cross-attention)', head: 'fm3', components: ['vision', 'text', 'xattn'] },
  // Past the paper (issue 17): FM2's runs weighed per class by a stacker on out-of-fold logits.
  { key: 'stack', label: 'Stack (vision + text + FCNN)', head: 'stack', components: ['vision', 'text', 'fcnn'] },
] as const;
