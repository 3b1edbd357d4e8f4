import type { Services } from '../../src/app.js';

/** Builds a finished run with params and `epochs` epochs of metrics (fixture factory). */
export async function buildRun(
  services: Services,
  o: { name: string; params?: Record<string, string | number | boolean>; valF1?: number[]; kind?: string; parentId?: string; datasetId?: string; classes?: number[] },
) {
  const run = await services.runs.create({ kind: o.kind ?? 'train', name: o.name, params: o.params ?? {}, parentId: o.parentId, datasetId: o.datasetId, config: { params: o.params ?? {} } });
  await services.runs.setStatus(run.id, 'RUNNING', { backend: 'test' });
  for (const [epoch, f1] of (o.valF1 ?? []).entries()) {
    await services.runs.recordEpoch(
      run.id,
      epoch,
      [
        { name: 'f1', split: 'val', value: f1 },
        { name: 'loss', split: 'val', value: 1 - f1 },
        { name: 'f1', split: 'train', value: Math.min(1, f1 + 0.05) },
      ],
      (o.classes ?? [1, 2]).map((classId) => ({ split: 'val', classId, precision: f1, recall: f1, f1, accuracy: f1, support: 10 })),
    );
  }
  return services.runs.setStatus(run.id, 'SUCCEEDED');
}
