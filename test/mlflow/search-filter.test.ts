import { describe, expect, it } from 'vitest';
import { canonicalMetric, metricKey, parseMetricKey } from '../../src/mlflow/metric-key.js';
import { runFilterOf, runSortsOf } from '../../src/mlflow/runs-filter.js';
import { likeToRegExp, parseFilter, parseOrderBy } from '../../src/mlflow/search-filter.js';

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { errorCode?: string }).errorCode;
  }
  return 'accepted';
};

describe("MLflow's search grammar", () => {
  it('reads comparisons joined by AND, entity aliases, quoted keys and values, lists', () => {
    expect(parseFilter(`metrics.acc > 0.8 and params."learning rate" = '1e-3' AND tags.\`team-name\` LIKE "vis%" AND attr.run_id IN ('a', "b")`)).toEqual([
      { entity: 'metric', key: 'acc', comparator: '>', value: 0.8, numeric: true },
      { entity: 'param', key: 'learning rate', comparator: '=', value: '1e-3', numeric: false },
      { entity: 'tag', key: 'team-name', comparator: 'LIKE', value: 'vis%', numeric: false },
      { entity: 'attribute', key: 'run_id', comparator: 'IN', value: ['a', 'b'], numeric: false },
    ]);
    expect(parseFilter("tags.mlflow.runName != 'x' AND status NOT IN ('FAILED') AND metric.loss<=-1.5e-3 AND `Run name` ilike 'A%'")).toEqual([
      { entity: 'tag', key: 'mlflow.runName', comparator: '!=', value: 'x', numeric: false },
      { entity: 'attribute', key: 'status', comparator: 'NOT IN', value: ['FAILED'], numeric: false },
      { entity: 'metric', key: 'loss', comparator: '<=', value: -1.5e-3, numeric: true },
      { entity: 'attribute', key: 'Run name', comparator: 'ILIKE', value: 'A%', numeric: false },
    ]);
    expect(parseFilter("params.note = 'it''s'")[0].value).toBe("it's");
    expect(parseFilter('metrics.val/loss < 1')[0]).toMatchObject({ key: 'val/loss', value: 1 });
    expect(parseFilter('  ')).toEqual([]);
    expect(parseFilter(undefined)).toEqual([]);
  });

  it('refuses OR, unknown entities, missing values and unclosed lists as INVALID_PARAMETER_VALUE', () => {
    for (const bad of ["a = 'x' OR b = 'y'", "foo.bar = 'x'", 'metrics.acc >', "metrics.acc > 1 params.x = 'y'", "run_id IN ('a'", 'metrics.acc = (1)', "'x' = metrics.acc", 'metrics.acc > 1 AND']) {
      expect(refused(() => parseFilter(bad))).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it("checks each entity's comparators and value types as MLflow does", () => {
    for (const bad of ["metrics.acc = 'high'", 'params.lr > 1', "params.lr IN ('a')", "tags.t > 'a'", "run_name IN ('a')", "start_time = 'today'", "artifact_uri = 'x'", "datasets.name = 'x'", 'status > 1']) {
      expect(refused(() => runFilterOf(bad))).toBe('INVALID_PARAMETER_VALUE');
    }
    const f = runFilterOf("metrics.`val/f1` >= 0.5 AND metrics.loss != 2 AND params.opt ILIKE 'ad%' AND tags.mlflow.user = 'ana' AND attributes.status LIKE 'FIN%' AND run_id = 'ABCDEF0123456789abcdef0123456789'");
    expect(f.metrics).toEqual([
      { name: 'f1', split: 'val', aggregate: 'LAST', gte: 0.5 },
      { name: 'loss', split: '', aggregate: 'LAST', ne: 2 },
    ]);
    expect(f.params).toEqual([{ key: 'opt', ilike: 'ad%' }]);
    expect(f.attributes).toEqual([
      { attribute: 'CREATED_BY', op: '=', value: 'ana' },
      { attribute: 'STATUS', op: 'IN', value: ['SUCCEEDED'] },
      { attribute: 'ID', op: 'IN', value: ['abcdef01-2345-6789-abcd-ef0123456789'] },
    ]);
    expect(runFilterOf("status != 'RUNNING'").attributes).toEqual([{ attribute: 'STATUS', op: 'IN', value: ['QUEUED', 'SUCCEEDED', 'FAILED', 'CANCELLED'] }]);
  });

  it('reads order_by entries with their direction', () => {
    expect(parseOrderBy('metrics.acc DESC')).toEqual({ entity: 'metric', key: 'acc', ascending: false });
    expect(parseOrderBy('params.`lr`')).toEqual({ entity: 'param', key: 'lr', ascending: true });
    expect(runSortsOf(['attributes.start_time ASC', 'tags.mlflow.runName desc', 'metrics.val/acc', 'experiment_id'])).toEqual([
      { key: { attribute: 'STARTED_AT' }, direction: 'ASC' },
      { key: { attribute: 'NAME' }, direction: 'DESC' },
      { key: { metric: { name: 'acc', split: 'val', aggregate: 'LAST' } }, direction: 'ASC' },
      { key: { attribute: 'PROJECT' }, direction: 'ASC' },
    ]);
    for (const bad of ['metrics.acc DOWN', 'attributes.color', 'metrics.acc DESC extra', 42]) expect(refused(() => runSortsOf([bad]))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('matches LIKE patterns as SQL does, escapes included', () => {
    expect(likeToRegExp('FIN%', false).test('FINISHED')).toBe(true);
    expect(likeToRegExp('fin%', false).test('FINISHED')).toBe(false);
    expect(likeToRegExp('fin%', true).test('FINISHED')).toBe(true);
    expect(likeToRegExp('a_c', false).test('abc')).toBe(true);
    expect(likeToRegExp('a\\_c', false).test('abc')).toBe(false);
    expect(likeToRegExp('a.c(', false).test('a.c(')).toBe(true);
  });
});

describe('metric keys', () => {
  it('map (name, split) and flat keys one to one', () => {
    const pairs: [string, string][] = [['loss', ''], ['loss', 'val'], ['top/1', 'val'], ['/x', ''], ['x/', ''], ['a/', 'train'], ['/b', 'val']];
    for (const [name, split] of pairs) expect(parseMetricKey(metricKey(name, split))).toEqual({ name, split });
    expect(parseMetricKey('val/top/1')).toEqual({ name: 'top/1', split: 'val' });
    expect(canonicalMetric('val/loss', '')).toEqual({ name: 'loss', split: 'val' });
    expect(canonicalMetric('a/b', 'train')).toEqual({ name: 'a/b', split: 'train' });
  });
});
