import { errors } from '../errors.js';
import type { RunFusion } from '../ml/heads/kinds.js';

/** Fields that may differ between the runs of a seed ensemble: they do not change what is trained. */
const NOT_CONFIGURATION = new Set(['seed', 'name']);

/**
 * What `stack` and `ensemble` need of their finished component runs (already checked to be
 * finished training runs on the fused dataset). A stack refits each component's head on folds
 * of the training split, so its components are heads on features (not a fine-tuned BERT, whose
 * refits would take hours) and there are at least two. An ensemble is runs of one configuration
 * that differ in their seeds.
 */
export function checkRunFusion(head: RunFusion, ids: string[], configs: Record<string, unknown>[]): void {
  const bad = (message: string) => errors.badInput(message, { field: 'componentRunIds' });
  if (ids.length < 2) throw bad(`${head} fuses at least two runs; got ${ids.length}`);
  if (new Set(ids).size !== ids.length) throw bad(`${head} names a run more than once`);
  if (head === 'stack') {
    configs.forEach((config, i) => {
      const runHead = String(config.head);
      if (runHead === 'text-finetune' || (config.componentRunIds as unknown[] | undefined)?.length) {
        throw bad(`stack refits its components' heads on folds of the training split: run ${ids[i]} (${runHead}) is not a head on features`);
      }
    });
    return;
  }
  const shape = (config: Record<string, unknown>) => JSON.stringify(Object.entries(config).filter(([k]) => !NOT_CONFIGURATION.has(k)).sort(([a], [b]) => a.localeCompare(b)));
  configs.forEach((config, i) => {
    if (shape(config) !== shape(configs[0])) throw bad(`ensemble averages runs of one configuration; run ${ids[i]} differs from run ${ids[0]} in more than its seed`);
  });
  const seeds = configs.map((c) => c.seed);
  if (new Set(seeds).size !== seeds.length) throw bad(`ensemble averages runs that differ in their seeds; two runs have seed ${seeds.find((s, i) => seeds.indexOf(s) !== i)}`);
}
