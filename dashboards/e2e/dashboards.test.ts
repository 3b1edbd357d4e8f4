/**
 * The dashboards end to end: a real server (its own data directory and embedded database), real
 * training runs, and headless Chromium. Covers a live run's curve gaining points, filtering the
 * runs table, a comparison heatmap, a promotion (and a refused one), a prediction, a sweep
 * started from its form and cancelled from its page, a dataset import from the UI, a webhook's
 * life (add, signed ping, delete), an axe accessibility audit of every view, and saves a
 * screenshot of every view under e2e/screenshots/ (and, with TAGFUSION_SCREENSHOTS=1, the
 * views under docs/screenshots/, not tracked).
 *
 * Needs the server built (`npm run build` at the repository root), the UI built (`npm run build`
 * here) and Chromium at /usr/bin/chromium (or CHROMIUM_PATH).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, dashboardsDir, importDataset, launch, repoRoot, shot, startServer, startTraining, TERMINAL, waitFor, waitForRun, writeDataset, type Server } from './support.ts';

describe('dashboards', { timeout: 600_000 }, () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let datasetId: string;
  let sampleImage: string;
  const runs: Record<string, string> = {};
  const experiments: Record<string, string> = {};
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(join(repoRoot, 'dist', 'cli', 'index.js')), 'build the server first: npm run build (repository root)');
    assert.ok(existsSync(join(dashboardsDir, 'dist', 'index.html')), 'build the UI first: npm run build (dashboards/)');
    server = await startServer();
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    ({ id: datasetId, sampleImage } = await importDataset(server, 'captions'));
    runs.low = await startTraining(server, datasetId, { name: 'text-lr-0.001', learningRate: 0.001 });
    runs.high = await startTraining(server, datasetId, { name: 'text-lr-0.01', learningRate: 0.01 });
    for (const id of [runs.low, runs.high]) assert.equal((await waitForRun(server, id)).status, 'SUCCEEDED');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const go = async (hash: string) => {
    await page.goto(`${server.origin}/${hash}`);
  };
  const rowCount = () => page.locator('[data-testid=run-row]').count();

  test("a live run's curves gain points while it trains", async () => {
    // Training is fast: on the 80-sample dataset even 1,000 epochs can end before the page has
    // watched the run gain points, so this run trains on ten times as many samples.
    const { id: longer } = await importDataset(server, 'longrun', 800);
    runs.live = await startTraining(server, longer, { name: 'text-live', epochs: 1000, learningRate: 0.001 });
    await go(`#/runs/${runs.live}`);
    const chart = page.locator('[data-testid=loss-chart]');
    await chart.waitFor({ timeout: 60_000 });
    const points = async () => Number(await chart.getAttribute('data-points'));
    const first = await waitFor(async () => (await points()) >= 2 && (await points()), 60_000);
    // The page was loaded once: later points can only have come over the runEvents subscription.
    const later = await waitFor(async () => {
      const p = await points();
      return p > first + 4 && p;
    }, 60_000);
    assert.ok(later > first, `points grew from ${first} to ${later}`);
    const { run } = await server.gql(`query($id: ID!) { run(id: $id) { status } }`, { id: runs.live });
    assert.equal(run.status, 'RUNNING', 'the points arrived while the run was training');
    await shot(page, 'run-live');

    // Cancelling from the page stops it.
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
    assert.equal((await waitForRun(server, runs.live, 60_000)).status, 'CANCELLED');
    await page.locator('h1 .badge.s-cancelled').waitFor({ timeout: 20_000 });
  });

  test('the runs table filters by search, param and metric conditions', async () => {
    await go('#/runs');
    await page.locator('[data-testid=run-row]').first().waitFor();
    await waitFor(async () => (await rowCount()) === 3);
    await shot(page, 'runs');

    await page.getByTestId('runs-search').fill('lr-0.01');
    await waitFor(async () => (await rowCount()) === 1);
    assert.match(await page.locator('[data-testid=run-row]').first().innerText(), /text-lr-0\.01/);
    assert.match(page.url(), /q=lr-0\.01/, 'the search is in the shareable URL');
    await page.getByTestId('runs-search').fill('');
    await waitFor(async () => (await rowCount()) === 3);

    // A param condition: learningRate ≥ 0.005.
    await page.getByLabel('Filter on').selectOption('p');
    await page.getByTestId('filter-key').fill('learningRate');
    await page.getByTestId('filter-op').selectOption('gte');
    await page.getByTestId('filter-value').fill('0.005');
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByTestId('filter-chip').waitFor();
    await waitFor(async () => (await rowCount()) === 1);
    await shot(page, 'runs-filtered');

    // The URL alone reproduces the view.
    const url = page.url();
    await page.goto('about:blank');
    await page.goto(url);
    await waitFor(async () => (await rowCount()) === 1);
    await page.getByRole('button', { name: /Remove filter/ }).click();
    await waitFor(async () => (await rowCount()) === 3);

    // Only succeeded runs: the cancelled live run drops out.
    await page.getByLabel('succeeded').check();
    await waitFor(async () => (await rowCount()) === 2);
  });

  test('comparing runs shows the per-class F1 heatmap', async () => {
    await go('#/runs?status=SUCCEEDED');
    // By name: how many runs have succeeded by now depends on how fast the live run trained.
    for (const name of ['text-lr-0.001', 'text-lr-0.01']) await page.getByLabel(`Select ${name} for comparison`, { exact: true }).check();
    await page.getByRole('button', { name: /^Compare/ }).click();
    await page.waitForURL(/#\/compare\?ids=/);
    const heatmap = page.getByTestId('heatmap');
    await heatmap.waitFor();
    assert.equal(await heatmap.locator('tbody tr').count(), 2, 'one row per run');
    assert.equal(await heatmap.locator('td.cell').count(), 8, '2 runs × 4 classes');
    assert.deepEqual(await heatmap.locator('thead th').allInnerTexts(), ['run \\ class', 'person', 'bicycle', 'car', 'dog']);
    await page.getByTestId('compare-chart').waitFor();
    await page.getByTestId('parcoords').waitFor();
    assert.match(await page.getByTestId('config-diff').innerText(), /learningRate/);
    await shot(page, 'compare');
  });

  test('a version is registered and promoted from the UI, and a refused promotion shows why', async () => {
    await go(`#/runs/${runs.low}`);
    await page.getByRole('button', { name: 'Register as model…' }).click();
    await page.getByLabel('Model name').fill('captions-text');
    await page.getByRole('dialog').getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(/#\/registry\/captions-text/);
    await server.gql(`mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created } }`, { input: { runId: runs.high, model: 'captions-text' } });

    // Same URL as now: a hash navigation would not reload, so reload to fetch the new version.
    await page.reload();
    await page.getByTestId('versions').locator('tbody tr').nth(1).waitFor();
    await page.getByTestId('promote-alias').fill('production');
    await page.getByTestId('promote-version').selectOption('1');
    await page.getByRole('button', { name: 'Promote…' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /“production” is new/);
    await dialog.getByRole('button', { name: 'Promote' }).click();
    await page.getByTestId('aliases').getByText('production').waitFor();
    assert.match(await page.getByTestId('aliases').innerText(), /production\s+v1/);
    await shot(page, 'registry-model');

    // A rule no version can pass: the server refuses, and the dialog says why.
    await server.gql(`mutation { setPromotionRule(model: "captions-text", rule: { alias: "production", metric: "loss", comparison: LT, threshold: 0.0000001 }) { name } }`);
    await page.reload();
    await page.getByTestId('promote-version').selectOption('2');
    await page.getByRole('button', { name: 'Promote…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Promote' }).click();
    const refusal = page.getByTestId('promote-error');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /The server refused: .*loss/i);
    await shot(page, 'registry-refused');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.match(await page.getByTestId('aliases').innerText(), /production\s+v1/, 'the alias did not move');

    await go('#/registry/captions-text?tab=audit');
    await page.getByTestId('audit').waitFor();
    assert.match(await page.getByTestId('audit').innerText(), /production/);
    await shot(page, 'registry-audit');
    await go('#/registry');
    await page.getByRole('link', { name: 'captions-text' }).waitFor();
    await shot(page, 'registry');
  });

  test('a prediction from a typed caption and an uploaded image', async () => {
    await go('#/predict?model=captions-text@production');
    await page.getByTestId('predict-caption').fill('A photo of a puppy near the park');
    await page.getByTestId('predict-image').setInputFiles(sampleImage);
    await page.getByRole('img', { name: /Uploaded/ }).waitFor();
    await page.getByRole('button', { name: 'Predict' }).click();
    const labels = page.getByTestId('predicted-labels');
    await labels.waitFor();
    assert.match(await labels.innerText(), /dog/);
    assert.match(await page.getByTestId('prediction').innerText(), /captions-text v1 \(via @production\)/);
    await shot(page, 'predict');
  });

  test('every other view renders with its data', async () => {
    const { startSweep } = await server.gql(`mutation($input: SweepInput!) { startSweep(input: $input) { id } }`, {
      input: { datasetId, name: 'lr-sweep', base: { head: 'TEXT', epochs: 8, batchSize: 4 }, space: [{ name: 'learningRate', values: [0.001, 0.01] }], parallelism: 1 },
    });
    experiments.sweep = startSweep.id;
    await go(`#/experiments/${startSweep.id}`);
    await page.getByRole('heading', { name: /lr-sweep/ }).waitFor();
    await waitForRun(server, startSweep.id, 120_000);
    await page.getByText('★ best').waitFor({ timeout: 30_000 });
    await shot(page, 'experiment');
    // The table's caption is Markdown (**title**): shown in bold, with no literal asterisks.
    const results = page.locator('section', { has: page.getByRole('heading', { name: 'Result table' }) });
    await results.locator('strong').first().waitFor();
    assert.doesNotMatch(await results.innerText(), /\*\*/);
    await go('#/experiments?kind=sweep');
    await page.getByRole('link', { name: 'lr-sweep' }).waitFor();
    await shot(page, 'experiments');

    await go('#/datasets');
    await page.getByRole('link', { name: 'captions' }).waitFor();
    await shot(page, 'datasets');
    await go(`#/datasets/${datasetId}`);
    await page.getByTestId('label-histogram').waitFor();
    await page.getByTestId('samples').locator('article').first().waitFor();
    await shot(page, 'dataset');
    await go(`#/datasets/${datasetId}?tab=rejected`);
    await page.getByTestId('rejected').waitFor();
    assert.equal(await page.getByTestId('rejected').locator('tbody tr').count(), 2, 'both defective records are reported');
    await shot(page, 'dataset-rejected');

    await go('#/jobs?view=all');
    await page.getByTestId('jobs').waitFor();
    await shot(page, 'jobs');
    await go('#/new/training');
    await page.getByTestId('train-head').waitFor();
    await shot(page, 'new-training');
    await go(`#/runs/${runs.high}`);
    await page.getByTestId('class-metrics').waitFor();
    await shot(page, 'run');

    // Laptop width: the runs table still fits and scrolls sideways rather than breaking.
    await page.setViewportSize({ width: 1280, height: 800 });
    await go('#/runs');
    await page.locator('[data-testid=run-row]').first().waitFor();
    await shot(page, 'runs-laptop');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('a sweep started from the New sweep form reaches the server as entered', async () => {
    await go(`#/new/sweep?dataset=${datasetId}`);
    const form = page.getByRole('form', { name: 'New sweep' });
    await form.getByLabel('Name (optional)').fill('ui-sweep');
    // Long trials, one at a time: the next test cancels this sweep while it runs.
    await form.getByLabel(/^Base training input/).fill('{ "head": "TEXT", "epochs": 1000, "batchSize": 1 }');
    await form.getByLabel(/^Search space/).fill('learningRate = 0.001, 0.01');
    await form.getByLabel('Trials at once').fill('1');
    await form.getByRole('button', { name: 'Start sweep' }).click();
    await page.waitForURL(/#\/experiments\/[^/?]+$/);
    experiments.ui = decodeURIComponent(page.url().split('#/experiments/')[1]);
    await page.getByRole('heading', { name: /ui-sweep/ }).waitFor();

    const { run } = await server.gql(`query($id: ID!) { run(id: $id) { kind name config dataset { id } } }`, { id: experiments.ui });
    assert.equal(run.kind, 'sweep');
    assert.equal(run.name, 'ui-sweep');
    assert.equal(run.dataset.id, datasetId);
    assert.deepEqual(run.config.space.map(({ name, values }: { name: string; values: number[] }) => ({ name, values })), [{ name: 'learningRate', values: [0.001, 0.01] }]);
    assert.equal(run.config.base.epochs, 1000);
    assert.equal(run.config.parallelism, 1);
  });

  test('cancelling a running experiment from its page stops it and its trials', async () => {
    await go(`#/experiments/${experiments.ui}`);
    await page.locator('h1 .badge.s-running').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel experiment' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel experiment' }).click();
    assert.equal((await waitForRun(server, experiments.ui, 60_000)).status, 'CANCELLED');
    await page.locator('h1 .badge.s-cancelled').waitFor({ timeout: 20_000 });
    assert.ok(await page.getByRole('button', { name: 'Cancel experiment' }).isDisabled(), 'a finished experiment cannot be cancelled again');
    const children = await waitFor(async () => {
      const { run } = await server.gql(`query($id: ID!) { run(id: $id) { children { status } } }`, { id: experiments.ui });
      return run.children.every((c: { status: string }) => TERMINAL.includes(c.status)) && run.children;
    }, 30_000);
    assert.ok(!children.some((c: { status: string }) => c.status === 'SUCCEEDED'), 'no 1000-epoch trial finished: they were stopped');
    await shot(page, 'experiment-cancelled');
  });

  test('a dataset imported from the Datasets form', async () => {
    const fx = writeDataset(20);
    await go('#/datasets');
    await page.getByText('Import a dataset').click();
    const form = page.getByRole('form', { name: 'Import a dataset' });
    await form.getByLabel('Name').fill('ui-import');
    await form.getByLabel('CSV path on the server').fill(fx.csvPath);
    await form.getByLabel('Images folder (optional)').fill(fx.imagesDir);
    await form.getByLabel('Validation share').fill('0.25');
    await form.getByRole('button', { name: 'Import' }).click();
    // The list picks the new dataset up once the import job finishes, without a reload.
    await page.getByRole('link', { name: 'ui-import' }).waitFor({ timeout: 30_000 });

    const { datasets } = await server.gql(`{ datasets(name: "ui-import") { id sampleCount rejectedCount hasImages csvPath splitCounts { train val } } }`);
    assert.equal(datasets.length, 1);
    const [ds] = datasets;
    assert.equal(ds.sampleCount, 20);
    assert.equal(ds.rejectedCount, 2, 'the two defective records were rejected');
    assert.ok(ds.hasImages);
    assert.equal(ds.csvPath, fx.csvPath);
    assert.equal(ds.splitCounts.train + ds.splitCounts.val, 20);
    assert.equal(ds.splitCounts.val, 5, 'the validation share was sent');
    await shot(page, 'datasets-imported');
    await page.getByRole('link', { name: 'ui-import' }).click();
    await page.getByTestId('samples').locator('article').first().waitFor();
  });

  test('a registry webhook is added, pinged (signed) and deleted from the UI', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/tagfusion`;
    try {
      await go('#/registry/captions-text?tab=webhooks');
      await page.getByLabel(/^URL receiving/).fill(hookUrl);
      await page.getByRole('button', { name: 'Add webhook' }).click();
      const secret = await page.getByTestId('webhook-secret').innerText();
      assert.match(secret, /^whsec_[0-9a-f]{64}$/);
      const hooks = async () => (await server.gql(`{ webhooks(model: "captions-text") { id url active deliveries { nodes { event status statusCode } } } }`)).webhooks;
      const [hook] = await hooks();
      assert.equal(hook.url, hookUrl);
      assert.ok(hook.active);

      const card = page.getByTestId('webhook').filter({ hasText: hookUrl });
      await card.getByRole('button', { name: /Send test ping/ }).click();
      // The delivery runs as a job: the list follows it from pending to succeeded.
      await card.getByTestId('delivery').filter({ hasText: /PING.*succeeded/ }).waitFor({ timeout: 30_000 });
      assert.equal(received.length, 1);
      const [ping] = received;
      assert.equal(ping.headers['x-tagfusion-event'], 'PING');
      const expected = `sha256=${createHmac('sha256', secret).update(`${ping.headers['x-tagfusion-timestamp']}.${ping.body}`).digest('hex')}`;
      assert.equal(ping.headers['x-tagfusion-signature'], expected, 'signed with the secret the UI showed');
      assert.deepEqual((await hooks())[0].deliveries.nodes, [{ event: 'PING', status: 'SUCCEEDED', statusCode: 204 }]);
      await shot(page, 'registry-webhooks');

      await card.getByRole('button', { name: /Delete/ }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
      await page.getByText('No webhooks for this model').waitFor();
      assert.deepEqual(await hooks(), []);
    } finally {
      receiver.close();
    }
  });

  test("a run logged from outside: project filter, tags, its note (Markdown, edited), artifact files and time axes", async () => {
    const { createProject } = await server.gql(`mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }`, { input: { name: 'vision-lab' } });
    const note = 'First line\n<b>not bold</b>';
    const { createRun } = await server.gql(`mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`, {
      input: { kind: 'external', name: 'ext-tagged', projectId: createProject.id, tags: [{ key: 'team', value: 'vision' }], note },
    });
    const id: string = createRun.id;
    runs.ext = id;
    const t = Date.UTC(2026, 0, 1);
    const points = [0, 1, 2].map((step) => ({ name: 'loss', split: 'val', step, timestamp: t + step * 60_000, value: 1 / (step + 1) }));
    await server.gql(`mutation($id: ID!, $points: [MetricPointInput!]!) { logMetricPoints(id: $id, points: $points) { id } }`, { id, points });
    for (const [path, body] of [['model/weights.bin', 'the weights'], ['README.txt', 'read me']]) {
      const res = await fetch(`${server.origin}/runs/${id}/artifacts/${path}`, { method: 'PUT', body });
      assert.equal(res.status, 200, `upload ${path}: ${await res.text()}`);
    }

    // The project selector keeps its choice in the URL and narrows the table to that project.
    await go('#/runs');
    await page.locator('[data-testid=run-row]').first().waitFor();
    await page.getByTestId('runs-project').locator(`option[value="${createProject.id}"]`).waitFor({ state: 'attached' });
    await page.getByTestId('runs-project').selectOption(createProject.id);
    await waitFor(async () => (await rowCount()) === 1);
    assert.match(page.url(), new RegExp(`project=${createProject.id}`));
    const row = page.locator('[data-testid=run-row]').first();
    assert.equal(await row.getByTestId('run-project').innerText(), 'vision-lab');
    assert.equal(await row.getByTestId('tag-chip').innerText(), 'team=vision');
    await shot(page, 'runs-project');

    // The run page: project, creator, tags, and the note as Markdown (its HTML is shown as text).
    await go(`#/runs/${id}`);
    const meta = page.getByTestId('run-meta');
    await meta.getByRole('link', { name: 'vision-lab' }).waitFor();
    assert.equal(await meta.getByTestId('tag-chip').innerText(), 'team=vision');
    assert.equal(await page.getByTestId('run-note').innerText(), note.replace('\n', ' '), 'one Markdown paragraph, its HTML as text');
    assert.equal(await page.getByTestId('run-note').locator('b').count(), 0, 'the note is never rendered as HTML');
    await page.getByRole('button', { name: 'Edit note' }).click();
    await page.getByTestId('note-input').fill('Edited in the **UI**\n\nsecond paragraph');
    await page.getByRole('button', { name: 'Save note' }).click();
    await waitFor(async () => (await page.getByTestId('run-note').locator('p').allInnerTexts()).join('|') === 'Edited in the UI|second paragraph');
    assert.equal(await page.getByTestId('run-note').locator('strong').innerText(), 'UI');
    const { run } = await server.gql(`query($id: ID!) { run(id: $id) { note } }`, { id });
    assert.equal(run.note, 'Edited in the **UI**\n\nsecond paragraph');

    // The curves' x axis: step, wall time, seconds since the first point.
    const chart = page.getByTestId('loss-chart');
    assert.equal(await chart.getAttribute('data-points'), '3');
    for (const [v, label] of [['wall', 'wall time'], ['relative', 'seconds since start'], ['step', 'epoch']]) {
      await page.getByTestId('x-axis').selectOption(v);
      await waitFor(async () => (await chart.getAttribute('data-x')) === label);
      assert.equal(await chart.getAttribute('data-points'), '3');
    }

    // Artifact files: a folder to open, and a file downloaded with its content.
    const files = page.getByTestId('artifact-files');
    await files.getByText('README.txt').waitFor();
    await files.getByRole('button', { name: 'Open folder model' }).click();
    await files.getByText('weights.bin').waitFor();
    await shot(page, 'run-external');
    const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('link', { name: 'Download model/weights.bin' }).click()]);
    assert.equal(download.suggestedFilename(), 'weights.bin');
    assert.equal(readFileSync(await download.path(), 'utf8'), 'the weights');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('every view has no serious or critical accessibility violations (axe)', async () => {
    const views: [string, () => Promise<unknown>][] = [
      ['#/runs', () => page.locator('[data-testid=run-row]').first().waitFor()],
      [`#/runs/${runs.high}`, () => page.getByTestId('class-metrics').waitFor()],
      [`#/runs/${runs.ext}`, () => page.getByTestId('artifact-files').getByText('README.txt').waitFor()],
      [`#/compare?ids=${runs.low},${runs.high}`, () => page.getByTestId('parcoords').waitFor()],
      ['#/experiments?kind=sweep', () => page.getByRole('link', { name: 'lr-sweep' }).waitFor()],
      [`#/experiments/${experiments.sweep}`, () => page.getByText('★ best').waitFor()],
      ['#/registry', () => page.getByRole('link', { name: 'captions-text' }).waitFor()],
      ['#/registry/captions-text', () => page.getByTestId('versions').waitFor()],
      ['#/registry/captions-text?tab=audit', () => page.getByTestId('audit').waitFor()],
      ['#/registry/captions-text?tab=webhooks', () => page.getByText('No webhooks for this model').waitFor()],
      ['#/datasets', () => page.getByRole('link', { name: 'captions' }).waitFor()],
      [`#/datasets/${datasetId}`, () => page.getByTestId('samples').locator('img').first().waitFor()],
      [`#/datasets/${datasetId}?tab=rejected`, () => page.getByTestId('rejected').waitFor()],
      ['#/jobs?view=all', () => page.getByTestId('jobs').waitFor()],
      ...['training', 'sweep', 'ablation', 'comparison', 'pseudo-label'].map((k): [string, () => Promise<unknown>] => [`#/new/${k}`, () => page.locator('form.form select').first().waitFor()]),
      ['#/predict?model=captions-text@production', () => page.getByTestId('predict-caption').waitFor()],
    ];
    const found: string[] = [];
    const audit = async (view: string) => {
      const v = await axeViolations(page);
      if (v.length) found.push(`${view}\n  ${v.join('\n  ')}`);
    };
    // Both colour schemes: styles.css has a dark palette, and contrast is checked in each.
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [hash, ready] of views) {
        await go(hash);
        await ready();
        await audit(`${hash} (${scheme})`);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    // States that only appear after an action: a prediction's result, and a confirmation dialog.
    await go('#/predict?model=captions-text@production');
    await page.getByTestId('predict-caption').fill('A photo of a puppy near the park');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByTestId('predicted-labels').waitFor();
    await audit('#/predict (with a prediction)');
    await go('#/registry/captions-text');
    await page.getByRole('button', { name: 'Promote…' }).click();
    await page.getByRole('dialog').waitFor();
    await audit('#/registry/captions-text (promote dialog)');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    if (found.length) assert.fail(`serious or critical accessibility violations:\n${found.join('\n')}`);
  });
});
