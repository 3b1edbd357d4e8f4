import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CREATE_RUN = `mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`;
const LOG = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`;
const SET_STATUS = `mutation($id: ID!, $error: String) { setRunStatus(id: $id, status: FAILED, error: $error) { id } }`;
const REGISTER = `mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created } }`;
const IMPORT = `mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`;
const TRAIN = `mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`;
const TOKEN = `mutation($name: String!) { createApiToken(name: $name, role: VIEWER) { secret } }`;
const WEBHOOK = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }`;
const RULE = `mutation($rule: PromotionRuleInput) { setPromotionRule(model: "m", rule: $rule) { name } }`;
const RUN = `query($id: ID!) { run(id: $id) { id } }`;
const DATASET = `query($id: ID!) { dataset(id: $id) { id } }`;
const RUNS = `query($filter: RunFilter, $after: String) { runs(filter: $filter, after: $after) { totalCount } }`;
const SUMMARIES = `query($id: ID!, $names: [String!]) { run(id: $id) { summaries(names: $names) { name } } }`;

const NUL = 'a\u0000b';
const MEGABYTE = 'x'.repeat(1024 * 1024);
const HUGE_ID = 'i'.repeat(10_000);
const cursor = (text: string) => Buffer.from(text).toString('base64url');

/** [what, query, variables, field named, message after "field: "] */
type Case = [string, string, Record<string, unknown>, string, RegExp];

describe.each(DB_KINDS)('bad strings, numbers and ids are BAD_INPUT naming the field, on %s', (kind) => {
  let server: TestServer;
  let runId: string;

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
    runId = (await server.app.services.runs.create({ kind: 'external', name: 'open' })).id;
  });
  afterAll(async () => server?.close());

  async function expectBad([what, query, variables, field, message]: Case) {
    const r = await server.gql(query, variables);
    expect(r.errors?.[0].extensions, what).toMatchObject({ code: 'BAD_INPUT', field });
    expect(r.errors?.[0].message, what).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: ${message.source}`));
  }

  it('refuses NUL characters in every kind of string: names, params, config, metrics, tags, paths, ids, filters', async () => {
    const nul = /must not contain NUL characters/;
    const ok = { name: 'f1', split: 'val', value: 0.5 };
    const cases: Case[] = [
      ['run name', CREATE_RUN, { input: { kind: 'train', name: NUL } }, 'name', nul],
      ['param value', CREATE_RUN, { input: { kind: 'train', params: { optimizer: NUL } } }, 'params.optimizer', nul],
      ['param key, not echoed', CREATE_RUN, { input: { kind: 'train', params: { [NUL]: 1 } } }, 'params', /its keys must not contain NUL characters/],
      ['nested config', CREATE_RUN, { input: { kind: 'train', config: { optimizer: { name: NUL } } } }, 'config.optimizer.name', nul],
      ['metric split', LOG, { input: { runId, epoch: 0, metrics: [ok, ok, ok, { ...ok, split: NUL }] } }, 'metrics[3].split', nul],
      ['status error', SET_STATUS, { id: runId, error: NUL }, 'error', nul],
      ['tag value', REGISTER, { input: { runId, model: 'm', tags: [{ key: 'k', value: NUL }] } }, 'tags[0].value', nul],
      ['csv path', IMPORT, { input: { name: 'd', csvPath: `/tmp/${NUL}.csv` } }, 'csvPath', nul],
      ['training name', TRAIN, { input: { datasetId: 'd', head: 'TEXT', name: NUL } }, 'name', nul],
      ['token name', TOKEN, { name: NUL }, 'name', nul],
      ['webhook url', WEBHOOK, { input: { url: `https://example.com/${NUL}` } }, 'url', nul],
      ['run lookup', RUN, { id: NUL }, 'id', nul],
      ['dataset lookup', DATASET, { id: NUL }, 'id', nul],
      ['runs filter', RUNS, { filter: { search: NUL } }, 'filter.search', nul],
      ['argument of a nested field', SUMMARIES, { id: runId, names: ['f1', NUL] }, 'names[1]', nul],
    ];
    for (const c of cases) await expectBad(c);
  });

  it('refuses strings past their limit: 1 MB anywhere, and each field its own', async () => {
    const cases: Case[] = [
      ['1 MB run name', CREATE_RUN, { input: { kind: 'train', name: MEGABYTE } }, 'name', /must be at most 10000 characters/],
      ['1 MB csv path', IMPORT, { input: { name: 'd', csvPath: MEGABYTE } }, 'csvPath', /must be at most 10000 characters/],
      ['1 MB token name', TOKEN, { name: MEGABYTE }, 'name', /must be at most 10000 characters/],
      ['1 MB string in config', CREATE_RUN, { input: { kind: 'train', config: { notes: MEGABYTE } } }, 'config.notes', /must be at most 10000 characters/],
      ['run kind (indexed)', CREATE_RUN, { input: { kind: 'k'.repeat(101) } }, 'kind', /must be at most 100 characters/],
      ['run name', CREATE_RUN, { input: { kind: 'train', name: 'n'.repeat(201) } }, 'name', /must be at most 200 characters/],
      // 800 characters but 1,600 bytes: the index limit is in bytes.
      ['param text (indexed)', CREATE_RUN, { input: { kind: 'train', params: { notes: 'é'.repeat(800) } } }, 'params.notes', /must be at most 1500 bytes \(UTF-8\)/],
      ['flattened config param', CREATE_RUN, { input: { kind: 'train', config: { a: { notes: 'é'.repeat(800) } } } }, 'config.a.notes', /must be at most 1500 bytes/],
      ['status error', SET_STATUS, { id: runId, error: 'e'.repeat(10_001) }, 'error', /must be at most 10000 characters/],
    ];
    for (const c of cases) await expectBad(c);
  });

  it('refuses non-finite and absurd numbers, in literals, variables and JSON', async () => {
    const finite = /must be a finite number within ±1e100/;
    const literal = `mutation { logMetrics(input: { runId: "${runId}", epoch: 0, metrics: [{ name: "f1", split: "val", value: 1.8e308 }] }) { id } }`;
    const cases: Case[] = [
      ['Float literal that parses as Infinity', literal, {}, 'metrics[0].value', finite],
      ['finite but absurd Float variable', LOG, { input: { runId, epoch: 0, metrics: [{ name: 'f1', split: 'val', value: 1e308 }] } }, 'metrics[0].value', finite],
      ['JSON literal', `mutation { createRun(input: { kind: "train", params: { lr: 1.8e308 } }) { id } }`, {}, 'params.lr', finite],
      ['JSON variable inside config', CREATE_RUN, { input: { kind: 'train', config: { optimizer: { lr: -1e200 } } } }, 'config.optimizer.lr', finite],
      ['filter threshold', RUNS, { filter: { metrics: [{ name: 'f1', gt: 1e300 }] } }, 'filter.metrics[0].gt', finite],
      ['promotion threshold', RULE, { rule: { metric: 'f1', comparison: 'GTE', threshold: 1e300 } }, 'rule.threshold', finite],
      ['deep JSON', CREATE_RUN, { input: { kind: 'train', config: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) } }, `config${'.a'.repeat(32)}`, /must not nest deeper than 32 levels/],
    ];
    for (const c of cases) await expectBad(c);
    // An Int beyond 2^31 is graphql-js's to refuse, as a client error naming the variable.
    const big = await server.gql(`mutation($v: Int!) { moveAlias(input: { model: "m", alias: "a", version: $v }) { changed } }`, { v: 2 ** 31 });
    expect(big.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/"\$v" got invalid value 2147483648/) });
  });

  it('answers ids that are huge, not UUIDs, or numbers as bad input or not found, never INTERNAL', async () => {
    const tooLong = /must be at most 200 characters/;
    for (const c of [
      ['10,000-character run id', RUN, { id: HUGE_ID }, 'id', tooLong],
      ['10,000-character run id in an input', LOG, { input: { runId: HUGE_ID, epoch: 0, metrics: [] } }, 'runId', tooLong],
      ['10,000-character job id', `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: HUGE_ID }, 'id', tooLong],
    ] as Case[])
      await expectBad(c);
    // Cursors hold numbers; one past what the database column holds is no cursor of ours.
    for (const [query, after] of [
      [RUNS, cursor('o:99999999999999999999999')],
      [`query($after: String) { auditLog(after: $after) { nodes { id } } }`, cursor('a:99999999999999999999999')],
      [`query($after: String) { registeredModels(after: $after) { nodes { name } } }`, cursor('o:99999999999999')],
    ]) {
      const r = await server.gql(query, { after });
      expect(r.errors?.[0], query).toMatchObject({ message: expect.stringMatching(/^after is not a cursor returned by/), extensions: { code: 'BAD_INPUT', field: 'after' } });
    }
    expect(await server.data(RUN, { id: 'not-a-uuid' })).toEqual({ run: null });
    expect(await server.data(`{ run(id: 99999999999) { id } }`)).toEqual({ run: null });
    expect(await server.data(DATASET, { id: '42' })).toEqual({ dataset: null });
    const codes = async (query: string, variables: Record<string, unknown>) => (await server.gql(query, variables)).errors?.[0].extensions?.code;
    expect(await codes(LOG, { input: { runId: 'not-a-uuid', epoch: 0, metrics: [] } })).toBe('RUN_NOT_FOUND');
    expect(await codes(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id: '2147483648' })).toBe('JOB_NOT_FOUND');
    expect(await codes(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: 'not-a-uuid' })).toBe('TOKEN_NOT_FOUND');
  });

  it('wrote nothing for any refused input', async () => {
    const { runs } = await server.data(`{ runs { totalCount } }`);
    expect(runs.totalCount).toBe(1);
    expect((await server.data(`query($id: ID!) { run(id: $id) { status epochMetrics { value } } }`, { id: runId })).run).toEqual({ status: 'QUEUED', epochMetrics: [] });
  });
});
