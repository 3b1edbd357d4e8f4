/**
 * The dashboards' fixes for a newcomer's first hour and for runs logged from outside (issues 13
 * and 14): the tag filter and tag editor, the note as safe Markdown, the charts' x axis in the URL
 * with whole-number steps, a runs table that fits 1440 px with trial names that can be told
 * apart and experiments showing their best trial's metric, "no support" classes, a readable
 * parallel-coordinates chart, the jobs view's subjects and final text, and the dataset's id.
 *
 * Seeded through GraphQL only (createRun, logMetrics, an import and a TF-IDF extraction), with
 * no training, so it runs in about a minute. Needs the server and the UI built (see
 * dashboards.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { importDataset, launch, startServer, waitFor, type Server } from './support.ts';

const CREATE = `mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`;
const LOG = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`;
const FINISH = `mutation($id: ID!) { setRunStatus(id: $id, status: SUCCEEDED) { id } }`;
// Named as sweeps name trials (plan.ts): the swept params, which differ only at the end here.
const TRIAL_NAMES = ['learningRate=0.001 optimizer=ADAMW weightDecay=0.01', 'learningRate=0.001 optimizer=ADAMW weightDecay=0.1'];
const NOTE = ['# Findings', '', 'The **fused** model wins.', '', '<b>raw html</b> stays text.', '', '[a trap](javascript:alert(1)) and [the paper](https://example.com/paper)', '', '![pixel](https://example.com/p.png)'].join('\n');

/** WCAG contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('dashboards for a newcomer', { timeout: 300_000 }, () => {
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};
  let datasetId = '';
  const pageErrors: string[] = [];

  const create = async (input: Record<string, unknown>) => (await server.gql<{ createRun: { id: string } }>(CREATE, { input })).createRun.id;
  const go = (hash: string) => page.goto(`${server.origin}/${hash}`);
  const rows = () => page.locator('[data-testid=run-row]');

  before(async () => {
    server = await startServer();
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));

    ids.a = await create({ kind: 'external', name: 'tagged-a', tags: [{ key: 'team', value: 'vision' }, { key: 'stage', value: 'prod' }], note: NOTE });
    ids.b = await create({ kind: 'external', name: 'tagged-b', tags: [{ key: 'team', value: 'text' }] });
    ids.c = await create({ kind: 'external', name: 'untagged' });
    const t = Date.UTC(2026, 0, 1);
    const points = [1, 2, 3, 4, 5].map((step) => ({ name: 'loss', split: 'val', step, timestamp: t + step * 90_000, value: 1 / step }));
    await server.gql(`mutation($id: ID!, $points: [MetricPointInput!]!) { logMetricPoints(id: $id, points: $points) { id } }`, { id: ids.a, points });

    // A sweep as tagfusion records one: a parent with no metrics of its own, and trials.
    ids.sweep = await create({ kind: 'sweep', name: 'grid' });
    for (const [i, name] of TRIAL_NAMES.entries()) {
      const id = await create({ kind: 'train', name, parentId: ids.sweep, params: { learningRate: 0.001, weightDecay: [0.01, 0.1][i], batchSize: [16, 32][i] } });
      ids[`t${i}`] = id;
      const classMetrics = [1, 2].map((classId) => ({ split: 'val', classId, precision: 0.5, recall: classId === 2 ? 0 : 0.6, f1: classId === 2 ? 0 : 0.55, accuracy: 0.9, support: classId === 2 ? 0 : 12 }));
      await server.gql(LOG, { input: { runId: id, epoch: 1, metrics: [{ name: 'microF1', split: 'val', value: [0.6, 0.7][i] }], classMetrics } });
      await server.gql(FINISH, { id });
    }
    await server.gql(FINISH, { id: ids.sweep });

    ({ id: datasetId } = await importDataset(server, 'captions', 40));
    const { extractFeatures } = await server.gql<{ extractFeatures: { id: string } }>(`mutation($input: ExtractFeaturesInput!) { extractFeatures(input: $input) { id } }`, { input: { datasetId, encoder: { id: 'tfidf' } } });
    ids.extract = extractFeatures.id;
    await waitFor(async () => (await server.gql<{ job: { status: string } }>(`query($id: ID!) { job(id: $id) { status } }`, { id: ids.extract })).job.status === 'SUCCEEDED');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the runs table filters on a tag value and on a tag being there, kept in the URL', async () => {
    await go('#/runs');
    await rows().first().waitFor();
    await page.getByTestId('tag-filter-key').fill('team');
    await page.getByTestId('tag-filter-value').fill('vision');
    await page.getByRole('button', { name: 'Add tag filter' }).click();
    await waitFor(async () => (await rows().count()) === 1);
    assert.match(await rows().first().innerText(), /tagged-a/);
    assert.match(page.url(), /tag=team%3Dvision/);
    await page.reload();
    await waitFor(async () => (await rows().count()) === 1 && /tagged-a/.test(await rows().first().innerText()));

    await page.getByRole('button', { name: 'Remove filter tag team = vision' }).click();
    await page.getByTestId('tag-filter-key').fill('team');
    await page.getByTestId('tag-filter-mode').selectOption('exists');
    await page.getByRole('button', { name: 'Add tag filter' }).click();
    await waitFor(async () => (await rows().count()) === 2);
    const names = (await page.locator('[data-testid=run-row] .run-name').allInnerTexts()).sort();
    assert.deepEqual(names, ['tagged-a', 'tagged-b']);
  });

  test('tags are set and removed on the run page', async () => {
    await go(`#/runs/${ids.b}`);
    const editor = page.getByTestId('tag-editor');
    await editor.getByTestId('tag-key').fill('owner');
    await editor.getByTestId('tag-value').fill('ana');
    await editor.getByRole('button', { name: 'Set tag' }).click();
    await page.getByTestId('run-meta').getByTestId('tag-chip').filter({ hasText: 'owner=ana' }).waitFor();
    await editor.getByRole('button', { name: 'Remove tag team' }).click();
    await waitFor(async () => (await page.getByTestId('run-meta').getByTestId('tag-chip').allInnerTexts()).join() === 'owner=ana');
    const { run } = await server.gql<{ run: { tags: { key: string; value: string }[] } }>(`query($id: ID!) { run(id: $id) { tags { key value } } }`, { id: ids.b });
    assert.deepEqual(run.tags, [{ key: 'owner', value: 'ana' }]);
  });

  test('the note renders as Markdown, with raw HTML as text, no javascript: link and no image', async () => {
    await go(`#/runs/${ids.a}`);
    const note = page.getByTestId('run-note');
    await note.getByRole('heading', { name: 'Findings' }).waitFor();
    assert.equal(await note.locator('strong').innerText(), 'fused');
    assert.equal(await note.locator('b').count(), 0, 'raw HTML is not rendered');
    assert.match(await note.innerText(), /<b>raw html<\/b> stays text/);
    assert.equal(await note.locator('a[href^="javascript"]').count(), 0);
    assert.equal(await note.getByText('a trap').count(), 1, 'the unsafe link keeps its text');
    assert.equal(await note.getByRole('link', { name: 'the paper' }).getAttribute('href'), 'https://example.com/paper');
    assert.equal(await note.locator('img').count(), 0);
  });

  test("the charts' x axis is kept in the URL, and steps are whole numbers", async () => {
    await go(`#/runs/${ids.a}`);
    const chart = page.getByTestId('loss-chart');
    await waitFor(async () => (await chart.getAttribute('data-x-ticks')) != null);
    const ticks = (await chart.getAttribute('data-x-ticks'))!.split(',').map(Number);
    assert.ok(ticks.length > 1 && ticks.every(Number.isInteger), `whole-number step ticks: ${ticks}`);
    await page.getByTestId('x-axis').selectOption('relative');
    await waitFor(async () => /[?&]x=relative/.test(page.url()));
    await page.reload();
    await waitFor(async () => (await chart.getAttribute('data-x')) === 'seconds since start');
    assert.equal(await page.getByTestId('x-axis').inputValue(), 'relative');
  });

  test('the runs table fits 1440 px; trial names show whole; a sweep shows its best trial', async () => {
    await go('#/runs');
    await rows().first().waitFor();
    const scroll = page.locator('.vt-scroll');
    const { sw, cw } = await scroll.evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth }));
    assert.ok(sw <= cw, `no sideways overflow: ${sw} > ${cw}`);
    const cut = await page.locator('.vt-head [role=columnheader]').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map((e) => e.textContent));
    assert.deepEqual(cut, [], 'no header is cut');
    for (const name of TRIAL_NAMES) {
      const cell = page.locator('.run-name', { hasText: name });
      const { sh, ch, sw2, cw2 } = await cell.evaluate((e) => ({ sh: e.scrollHeight, ch: e.clientHeight, sw2: e.scrollWidth, cw2: e.clientWidth }));
      assert.ok(sh <= ch + 1 && sw2 <= cw2 + 1, `"${name}" shows whole (${sw2}×${sh} in ${cw2}×${ch})`);
    }
    const parent = rows().filter({ has: page.getByRole('link', { name: 'grid', exact: true }) });
    const best = parent.getByTestId('best-child-metric').first();
    assert.equal(await best.innerText(), '★0.7000');
    const { sw3, cw3 } = await best.evaluate((e) => ({ sw3: e.scrollWidth, cw3: e.clientWidth }));
    assert.ok(sw3 <= cw3, `the best trial's value shows whole (${sw3} > ${cw3})`);
    assert.equal(await best.getByRole('link').getAttribute('href'), `#/runs/${ids.t1}`);
  });

  test('a class with no validation samples shows "no support", not F1 0', async () => {
    await go(`#/runs/${ids.t1}`);
    const f1 = page.getByTestId('class-metrics').getByTestId('class-f1');
    await f1.first().waitFor();
    assert.deepEqual(await f1.allInnerTexts(), ['0.550', 'no support']);
    // The comparison's heatmap leaves the cell empty (·) rather than colouring an F1 of 0.
    await go(`#/compare?ids=${ids.t0},${ids.t1}`);
    const cells = page.getByTestId('heatmap').locator('td.cell');
    await cells.first().waitFor();
    assert.deepEqual(await cells.allInnerTexts(), ['0.55', '·', '0.55', '·']);
    assert.match((await cells.nth(1).getAttribute('title')) ?? '', /no samples of the class/);
  });

  test('the parallel coordinates are readable: 11 px text, titles apart, lines in contrast', async () => {
    await go(`#/compare?ids=${ids.t0},${ids.t1}`);
    const svg = page.getByTestId('parcoords');
    await svg.waitFor();
    const m = await svg.evaluate((el) => {
      const bg = getComputedStyle(document.body).backgroundColor;
      const texts = [...el.querySelectorAll('text')].map((t) => t.getBoundingClientRect().height);
      const titles = [...el.querySelectorAll('.axis-title')].map((t) => t.getBoundingClientRect());
      const overlaps = titles.some((a, i) => titles.some((b, j) => i < j && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom));
      const strokes = [...el.querySelectorAll('polyline')].map((p) => getComputedStyle(p).stroke);
      const fonts = [...el.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * (el.getBoundingClientRect().width / (el as SVGSVGElement).viewBox.baseVal.width));
      return { bg, minHeight: Math.min(...texts), overlaps, strokes, minFont: Math.min(...fonts) };
    });
    assert.ok(m.minFont >= 11, `text at least 11 px, got ${m.minFont}`);
    assert.equal(m.overlaps, false, 'axis titles do not overlap');
    for (const s of m.strokes) assert.ok(contrast(s, m.bg) >= 3, `line ${s} on ${m.bg}: ${contrast(s, m.bg).toFixed(2)}:1`);
  });

  test("the jobs view names an extraction's dataset and encoder and keeps no stale text", async () => {
    await go('#/jobs?view=all');
    const jobs = page.getByTestId('jobs');
    await jobs.waitFor();
    const extract = jobs.locator('tr', { hasText: 'extract-features' });
    assert.equal(await extract.getByTestId('job-subject').innerText(), 'captions@1 · tfidf');
    const finished = jobs.locator('tbody tr', { has: page.locator('.badge.s-succeeded') });
    const messages = await finished.evaluateAll((trs) => trs.map((tr) => tr.children[3].textContent));
    assert.ok(messages.length >= 2);
    assert.deepEqual(messages.filter(Boolean), [], 'a succeeded job shows no progress message');
  });

  test("the dataset page shows its id, copyable", async () => {
    await go(`#/datasets/${datasetId}`);
    assert.equal(await page.getByTestId('copy-id-value').innerText(), datasetId);
    await page.getByRole('button', { name: 'Copy the dataset id' }).click();
    await page.getByText('copied').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), datasetId);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});
