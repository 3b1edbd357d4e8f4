import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';
import { colourEncoder, EXPERIMENT, importDataset, modelsRoot, multimodalDataset, waitForExperiment } from './support.js';

const param = (run: { params: { key: string; value: string }[] }, key: string) => run.params.find((p) => p.key === key)?.value;

describe.each(DB_KINDS)('experiments through the API (%s)', (kind) => {
  let server: TestServer;
  let datasetId: string;
  let captionsId: string;
  let encoderA: string;
  let encoderB: string;
  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_MODEL_ROOTS: modelsRoot() } });
    datasetId = await importDataset(server, 'multimodal', await multimodalDataset(160));
    captionsId = await importDataset(server, 'more-captions', await multimodalDataset(120, 1000, false), { images: false });
    encoderA = colourEncoder(1);
    encoderB = colourEncoder(0.5);
  });
  afterAll(async () => server?.close());

  it('rejects a bad experiment before creating anything, naming the trial and field', async () => {
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      ['startSweep', 'SweepInput', { datasetId, space: [{ name: 'learningRate', values: [0.01, -1] }], base: { head: 'TEXT' } }, /trial learningRate=-1: learningRate: learningRate must be positive/],
      ['startSweep', 'SweepInput', { datasetId, space: [{ name: 'learningRate', min: 0.001, max: 0.1 }], base: { head: 'TEXT' } }, /grid search needs values for learningRate/],
      ['startSweep', 'SweepInput', { datasetId, space: [{ name: 'epochs', values: [1] }], base: { head: 'VISION' }, parallelism: 0 }, /parallelism must be at least 1/],
      ['startModelComparison', 'ModelComparisonInput', { datasetId: captionsId, encoders: [{ id: 'onnx', path: encoderA }] }, /head vision needs images/],
      ['startAblation', 'AblationInput', { datasetId, base: { visionEncoder: { id: 'nope' } } }, /trial Vision only: unknown image encoder "nope"/],
      ['startPseudoLabeling', 'PseudoLabelingInput', { datasetId, unlabelledDatasetId: datasetId }, /needs unlabelledSplit/],
    ];
    for (const [mutation, type, input, message] of cases) {
      const r = await server.gql(`mutation($input: ${type}!) { ${mutation}(input: $input) { id } }`, { input });
      expect(r.errors?.[0].extensions?.code, JSON.stringify(input)).toBe('BAD_INPUT');
      expect(r.errors?.[0].message).toMatch(message);
    }
    const missing = await server.gql(`mutation($input: AblationInput!) { startAblation(input: $input) { id } }`, { input: { datasetId: 'nope' } });
    expect(missing.errors?.[0].extensions?.code).toBe('DATASET_NOT_FOUND');
    expect((await server.data(`{ runs { totalCount } }`)).runs.totalCount).toBe(0);
  });

  it('runs a grid sweep: one child per combination, progress over a subscription, a table', async () => {
    const { startSweep } = await server.data(`mutation($input: SweepInput!) { startSweep(input: $input) { id kind status params { key value } } }`, {
      input: {
        datasetId,
        name: 'lr x optimiser',
        base: { head: 'TEXT', epochs: 3, batchSize: 32 },
        space: [
          { name: 'learningRate', values: [0.05, 0.001] },
          { name: 'optimizer', values: ['ADAM', 'ADAMW'] },
        ],
        parallelism: 2,
      },
    });
    expect(startSweep).toMatchObject({ kind: 'sweep', status: 'QUEUED' });
    expect(param(startSweep, 'plannedTrials')).toBe('4');
    const sub = subscribe(server.http.url, `subscription($id: ID!) { experimentEvents(runId: $id) { status total done running queued failed best { value run { id } } } }`, { id: startSweep.id });
    await sub.ready;
    const run = await waitForExperiment(server, startSweep.id);
    await sub.until((events) => events.some((e) => e.experimentEvents.done === 4), 10_000);
    await sub.close();
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.children).toHaveLength(4);
    const combos = run.children.map((c: any) => `${param(c, 'learningRate')}/${param(c, 'optimizer')}`).sort();
    expect(combos).toEqual(['0.001/adam', '0.001/adamw', '0.05/adam', '0.05/adamw']);
    expect(run.children.every((c: any) => c.kind === 'train' && c.status === 'SUCCEEDED')).toBe(true);
    // Progress and the best run agree with the children's own metrics.
    const scores = run.children.map((c: any) => c.summary.val.microF1);
    expect(run.experiment).toMatchObject({ total: 4, done: 4, running: 0, queued: 0, failed: 0 });
    expect(run.experiment.best.value).toBeGreaterThanOrEqual(Math.max(...scores)); // best epoch ≥ final
    expect(run.summary.best.value).toBe(Math.max(...scores));
    expect(run.summary.best.runId).toBe(run.children[scores.indexOf(Math.max(...scores))].id);
    // Events were published while it ran, ending with every trial done.
    const counts = sub.events.map((e) => e.experimentEvents.done);
    expect(counts.at(-1)).toBe(4);
    expect(sub.events.some((e) => e.experimentEvents.running > 0)).toBe(true);
    // The table: one row per trial with the swept values and the objective.
    const lines = run.csv.trim().split('\r\n');
    expect(lines[0]).toBe('Trial,learningRate,optimizer,val microF1,Val loss,Epochs,Time (s),Status,Run');
    expect(lines).toHaveLength(5);
    const t0 = run.children.find((c: any) => param(c, 'trial') === 't0');
    expect(lines).toContain(`t0,0.05,adam,${t0.summary.val.microF1},${t0.summary.val.loss},3,${lines.find((l: string) => l.startsWith('t0,'))!.split(',')[6]},succeeded,${t0.id.slice(0, 8)}`);
    expect(run.markdown).toMatch(/^\*\*Sweep \(grid, 4 trials\)/);
    expect(run.markdown).toContain('| t3 | 0.001 | adamw |');
  });

  it('stops a weak trial early with the median rule and says why', async () => {
    const { startSweep } = await server.data(`mutation($input: SweepInput!) { startSweep(input: $input) { id } }`, {
      input: {
        datasetId,
        // Enough epochs that the weak trial is still writing them when the rule stops it: a head
        // trains far faster than its epochs are written, so 40 could all be in before the rule looked.
        base: { head: 'TEXT', epochs: 200, batchSize: 1 },
        space: [{ name: 'learningRate', values: [0.05, 0.0000001] }],
        parallelism: 1,
        earlyTermination: { graceEpochs: 2, minTrials: 1 },
      },
    });
    const run = await waitForExperiment(server, startSweep.id);
    expect(run.status, run.error).toBe('SUCCEEDED');
    const [good, weak] = ['t0', 't1'].map((k) => run.children.find((c: any) => param(c, 'trial') === k));
    expect(good.status).toBe('SUCCEEDED');
    expect(weak.status).toBe('CANCELLED');
    expect(param(weak, 'stoppedEarly')).toMatch(/^stopped by the median rule at epoch \d+: best val microF1 0\.\d{4} is below the median 0\.\d{4}/);
    expect(weak.error).toBe(param(weak, 'stoppedEarly'));
    const { run: detail } = await server.data(`query($id: ID!) { run(id: $id) { epochMetrics(name: "microF1", split: "val") { epoch } } }`, { id: weak.id });
    expect(detail.epochMetrics.length).toBeGreaterThanOrEqual(2);
    expect(detail.epochMetrics.length).toBeLessThan(200);
    expect(run.experiment).toMatchObject({ total: 2, done: 1, failed: 1 });
    expect(run.csv).toMatch(new RegExp(`\r\nt1,1e-7,.*,stopped early,${weak.id.slice(0, 8)}\r\n`));
  });

  it('compares encoders under one head (Table 1)', async () => {
    const { startModelComparison } = await server.data(`mutation($input: ModelComparisonInput!) { startModelComparison(input: $input) { id } }`, {
      input: { datasetId, head: 'VISION', encoders: [{ id: 'onnx', path: encoderA }, { id: 'onnx', path: encoderB }], base: { epochs: 4, learningRate: 0.05 } },
    });
    const run = await waitForExperiment(server, startModelComparison.id);
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.children.map((c: any) => c.name)).toEqual(['vision on onnx', 'vision on onnx']);
    expect(run.children.map((c: any) => param(c, 'visionEncoder'))).toEqual(['onnx', 'onnx']);
    const lines = run.csv.trim().split('\r\n');
    expect(lines[0]).toBe('Encoder,Encoder parameters,Head parameters,Extraction (s),Training (s),Val micro-F1,Val macro-F1,Val loss,Status,Run');
    expect(lines).toHaveLength(3);
    const cells = lines[1].split(',');
    expect(cells[0]).toMatch(/^onnx \(tagfusion-colour-/); // the folder tells the two apart
    expect(Number(cells[2])).toBe(run.children[0].summary.parameters);
    expect(Number(cells[5])).toBe(run.children[0].summary.val.microF1);
    expect(Number(cells[3])).toBeGreaterThanOrEqual(0);
  });

  it('runs the ablation: four trained configurations, then FM1–FM3 fusing their logits (Table 5) and the stack of FM2\'s runs', async () => {
    const { startAblation } = await server.data(`mutation($input: AblationInput!) { startAblation(input: $input) { id } }`, {
      input: { datasetId, base: { visionEncoder: { id: 'onnx', path: encoderA }, epochs: 4, learningRate: 0.05 }, parallelism: 2 },
    });
    const run = await waitForExperiment(server, startAblation.id);
    expect(run.status, run.error).toBe('SUCCEEDED');
    const byTrial = Object.fromEntries(run.children.map((c: any) => [param(c, 'trial'), c]));
    expect(Object.keys(byTrial).sort()).toEqual(['fcnn', 'fm1', 'fm2', 'fm3', 'stack', 'text', 'vision', 'xattn']);
    expect(run.children.every((c: any) => c.status === 'SUCCEEDED')).toBe(true);
    // Fusions average the finished runs: FM2 is vision + text + FCNN.
    expect(byTrial.fm2.summary.components.sort()).toEqual([byTrial.vision.id, byTrial.text.id, byTrial.fcnn.id].sort());
    expect(byTrial.fm3.summary.components).toContain(byTrial.xattn.id);
    expect(byTrial.stack.summary.stackFolds).toBe(5);
    expect([...byTrial.stack.summary.components].sort()).toEqual([...byTrial.fm2.summary.components].sort());
    expect(param(byTrial.fm1, 'fusedRuns')).toBe('2');
    const rows = run.csv.trim().split('\r\n').map((l: string) => l.split(','));
    expect(rows.map((r: string[]) => r[0])).toEqual(['Configuration', 'Vision only', 'Text only', 'FM1 (vision + text)', '+FCNN', 'FM2 (FM1 + FCNN)', '+Cross-attention FCNN', 'FM3 (FM1 + cross-attention)', 'Stack (vision + text + FCNN)']);
    expect(Number(rows[3][1])).toBe(byTrial.fm1.summary.val.microF1);
    expect(rows.slice(1).every((r: string[]) => r.at(-2) === 'succeeded' && r[1] !== '')).toBe(true);
  });

  it('pseudo-labels an unlabelled dataset round by round and stops when validation stops improving', async () => {
    const { createProject } = await server.data(`mutation { createProject(input: { name: "pseudo-labels" }) { id } }`);
    const { startPseudoLabeling } = await server.data(`mutation($input: PseudoLabelingInput!) { startPseudoLabeling(input: $input) { id } }`, {
      input: { datasetId, unlabelledDatasetId: captionsId, projectId: createProject.id, maxRounds: 2, base: { epochs: 4, learningRate: 0.05 }, vision: { visionEncoder: { id: 'onnx', path: encoderA } } },
    });
    const run = await waitForExperiment(server, startPseudoLabeling.id, 240_000);
    expect(run.status, run.error).toBe('SUCCEEDED');
    const rounds = run.children;
    expect(rounds.every((r: any) => r.kind === 'pseudo-label-round' && r.status === 'SUCCEEDED')).toBe(true);
    expect(rounds[0].children.map((c: any) => param(c, 'trial')).sort()).toEqual(['fusion', 'text', 'vision']);
    // Round 1 keeps the captions' pseudo-labels and retrains text only (they have no images).
    const pseudo = rounds[1].artifacts.find((a: any) => a.name === 'pseudo-labels');
    expect(pseudo.metadata).toMatchObject({ datasetId: captionsId, kept: 120, candidates: 120, predictedBy: rounds[0].summary.fusedRunId });
    expect(rounds[1].children.map((c: any) => param(c, 'trial')).sort()).toEqual(['fusion', 'text']);
    const text1 = rounds[1].children.find((c: any) => param(c, 'trial') === 'text');
    expect(param(text1, 'pseudoLabels')).toBe('true');
    expect(text1.summary.trainSamples).toBe(rounds[0].children.find((c: any) => param(c, 'trial') === 'text').summary.trainSamples + 120);
    expect(rounds[1].summary.visionRunId).toBe(rounds[0].summary.visionRunId);
    // The rounds and every trial under them are in the experiment's project.
    const inProject = await server.data(`query($id: ID!) { runs(filter: { projectId: $id }, first: 100) { nodes { id } } }`, { id: createProject.id });
    const tree = [run, ...rounds, ...rounds.flatMap((r: any) => r.children)].map((r: any) => r.id).sort();
    expect(inProject.runs.nodes.map((r: any) => r.id).sort()).toEqual(tree);
    // The stopping rule, checked against the recorded scores.
    const scores = rounds.map((r: any) => r.summary.score);
    const improvedAt = scores.findIndex((s: number, i: number) => i > 0 && s <= Math.max(...scores.slice(0, i)));
    expect(rounds).toHaveLength(improvedAt === -1 ? 3 : improvedAt + 1);
    expect(run.summary.baseline).toBe(scores[0]);
    expect(run.summary.best.value).toBe(Math.max(...scores));
    expect(run.epochMetrics.filter((m: any) => m.name === 'microF1').map((m: any) => m.value)).toEqual(scores);
    const lines = run.csv.trim().split('\r\n');
    expect(lines[0]).toBe('Round,Pseudo-labelled samples,Fused val microF1,Change vs round 0,Text run,Vision run,Status');
    expect(lines[2].split(',').slice(0, 3)).toEqual(['1', '120', String(scores[1])]);
  });

  it('cancels an experiment: its running trial stops and no further trial starts', async () => {
    const { startSweep } = await server.data(`mutation($input: SweepInput!) { startSweep(input: $input) { id } }`, {
      input: { datasetId, base: { head: 'TEXT', epochs: 100, batchSize: 1 }, space: [{ name: 'learningRate', values: [0.01, 0.02, 0.03] }], parallelism: 1 },
    });
    await waitFor(server, startSweep.id, (run) => run.children.some((c: any) => c.status === 'RUNNING'));
    const { cancelExperiment } = await server.data(`mutation($id: ID!) { cancelExperiment(id: $id) { status error } }`, { id: startSweep.id });
    expect(cancelExperiment).toEqual({ status: 'CANCELLED', error: 'cancelled' });
    const settled = await waitFor(server, startSweep.id, (run) => run.children.every((c: any) => ['CANCELLED', 'SUCCEEDED', 'FAILED'].includes(c.status)));
    expect(settled.children).toHaveLength(1);
    expect(settled.children[0].status).toBe('CANCELLED');
    await new Promise((r) => setTimeout(r, 2500)); // longer than the controller's wake-up
    const later = (await server.data(EXPERIMENT, { id: startSweep.id })).run;
    expect(later.children).toHaveLength(1);
    expect(later.status).toBe('CANCELLED');
    const { jobs } = await server.data(`{ jobs(status: [QUEUED, RUNNING]) { id kind } }`);
    expect(jobs).toEqual([]);
    const again = await server.gql(`mutation($id: ID!) { cancelExperiment(id: $id) { id } }`, { id: startSweep.id });
    expect(again.errors?.[0].extensions?.code).toBe('RUN_FINISHED');
  });
});

async function waitFor(server: TestServer, id: string, test: (run: any) => boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { run } = await server.data(EXPERIMENT, { id });
    if (test(run)) return run;
    if (Date.now() > deadline) throw new Error(`experiment ${id} did not get there: ${JSON.stringify(run.children.map((c: any) => c.status))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
