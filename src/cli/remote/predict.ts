import type { Split } from '../../db/generated/enums.js';
import { printPredictResult, type PredictFlags } from '../predict.js';
import type { RemoteApi } from './api.js';
import { waitRemote } from './wait.js';

/** `tagfusion predict` through a running server: predictDataset, its job followed, the submission downloaded to `out`. */
export async function remotePredict(api: RemoteApi, o: PredictFlags, split: Split | undefined, out: string): Promise<void> {
  const { predictDataset: set } = await api.request<{ predictDataset: { id: string; job: { id: string } } }>(
    `mutation($m: String!, $d: ID!, $s: Split) { predictDataset(model: $m, datasetId: $d, split: $s) { id job { id } } }`,
    { m: o.model, d: o.dataset, s: split },
  );
  const done = await waitRemote(api, set.job.id, Boolean(o.json));
  if (done.status === 'SUCCEEDED') {
    const { predictionSet } = await api.request<{ predictionSet: { submissionUrl: string } }>(`query($id: ID!) { predictionSet(id: $id) { submissionUrl } }`, { id: set.id });
    await api.download(predictionSet.submissionUrl, out);
  }
  printPredictResult(o, set.id, done, out);
}
