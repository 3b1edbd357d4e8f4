import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';
import { finishedRun } from './fixtures.js';

const MOVE = `mutation($input: MoveAliasInput!) { moveAlias(input: $input) { changed previousVersion alias { alias version protected } model { name } } }`;
const AUDIT = `query($model: String, $first: Int, $after: String) {
  auditLog(model: $model, first: $first, after: $after) { nodes { id action actor actorRole modelName version alias from to } pageInfo { hasNextPage endCursor } } }`;
const RULE = `mutation($model: String!, $rule: PromotionRuleInput) { setPromotionRule(model: $model, rule: $rule) { promotionRule { alias metric split comparison againstAlias threshold } } }`;

const editor: Actor = { name: 'eddie', role: 'editor' };
const viewer: Actor = { name: 'vera', role: 'viewer' };

describe.each(DB_KINDS)('aliases, promotion and the audit log on %s', (kind) => {
  let server: TestServer;
  const move = (input: Record<string, unknown>) => server.gql(MOVE, { input });
  const holder = async (model: string, alias: string) => (await server.data(`query($m: String!, $a: String) { modelVersion(model: $m, alias: $a) { version } }`, { m: model, a: alias })).modelVersion.version;

  /** A model whose versions 1, 2, 3… have the given validation macro-F1. */
  async function modelWith(name: string, f1s: number[]) {
    for (const macroF1 of f1s) {
      const r = await finishedRun(server.app, { macroF1 });
      await server.data(`mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created } }`, { input: { runId: r.runId, model: name } });
    }
  }

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
  });
  afterAll(async () => server?.close());

  it('refuses bad input, unknown models and versions, and viewers', async () => {
    await modelWith('basic', [0.5, 0.6]);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ model: 'basic', alias: '3rd', version: 1 }, 'BAD_INPUT', /^alias: must be 1-63 letters/],
      [{ model: 'basic', alias: 'latest', version: 1 }, 'BAD_INPUT', /latest is reserved/],
      [{ model: 'basic', alias: 'champion', version: 0 }, 'BAD_INPUT', /versions are numbered from 1/],
      [{ model: 'nope', alias: 'champion', version: 1 }, 'MODEL_NOT_FOUND', /^Model nope is not registered\.$/],
      [{ model: 'basic', alias: 'champion', version: 7 }, 'VERSION_NOT_FOUND', /^Model basic has no version 7\.$/],
    ];
    for (const [input, code, message] of cases) {
      const r = await move(input);
      expect(r.errors?.[0].extensions?.code, JSON.stringify(input)).toBe(code);
      expect(r.errors?.[0].message).toMatch(message);
    }
    await expect(server.app.services.registry.moveAlias(viewer, { model: 'basic', alias: 'champion', version: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await server.data(`{ registeredModel(name: "basic") { aliases { alias } } }`)).registeredModel.aliases).toEqual([]);
  });

  it('moves aliases and reports where they pointed before', async () => {
    const first = (await server.data(MOVE, { input: { model: 'basic', alias: 'champion', version: 1 } })).moveAlias;
    expect(first).toEqual({ changed: true, previousVersion: null, alias: { alias: 'champion', version: 1, protected: false }, model: { name: 'basic' } });
    expect((await server.data(MOVE, { input: { model: 'basic', alias: 'champion', version: 2 } })).moveAlias).toMatchObject({ changed: true, previousVersion: 1 });
    expect((await server.data(MOVE, { input: { model: 'basic', alias: 'champion', version: 2 } })).moveAlias).toMatchObject({ changed: false, previousVersion: 2 });
    await server.app.services.registry.moveAlias(editor, { model: 'basic', alias: 'challenger', version: 1 });
    const { registeredModel } = await server.data(`{ registeredModel(name: "basic") { aliases { alias version } versions { version aliases } } }`);
    expect(registeredModel).toEqual({
      aliases: [
        { alias: 'challenger', version: 1 },
        { alias: 'champion', version: 2 },
      ],
      versions: [
        { version: 2, aliases: ['champion'] },
        { version: 1, aliases: ['challenger'] },
      ],
    });
    expect(await holder('basic', 'latest')).toBe(2);
    await server.data(`mutation { deleteAlias(model: "basic", alias: "challenger") { name } }`);
    expect((await server.gql(`{ modelVersion(model: "basic", alias: "challenger") { version } }`)).errors?.[0].extensions?.code).toBe('ALIAS_NOT_FOUND');
  });

  it('lets only admins move, delete or protect a protected alias', async () => {
    const { registry } = server.app.services;
    await expect(registry.moveAlias(editor, { model: 'basic', alias: 'champion', version: 1, protect: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(registry.setAliasProtected(editor, 'basic', 'champion', true)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await server.data(`mutation { setAliasProtected(model: "basic", alias: "champion", protected: true) { alias version protected } }`)).setAliasProtected).toEqual({
      alias: 'champion',
      version: 2,
      protected: true,
    });
    await expect(registry.moveAlias(editor, { model: 'basic', alias: 'champion', version: 1 })).rejects.toMatchObject({
      code: 'ALIAS_PROTECTED',
      message: 'Alias champion of model basic is protected: moving or deleting it needs the admin role; you act as editor.',
    });
    await expect(registry.deleteAlias(editor, 'basic', 'champion')).rejects.toMatchObject({ code: 'ALIAS_PROTECTED' });
    expect(await holder('basic', 'champion')).toBe(2);
    // Admins (the local GraphQL caller) may; the alias stays protected.
    expect((await server.data(MOVE, { input: { model: 'basic', alias: 'champion', version: 1 } })).moveAlias.alias).toEqual({ alias: 'champion', version: 1, protected: true });
    // Unprotected aliases stay open to editors.
    await registry.moveAlias(editor, { model: 'basic', alias: 'staging', version: 2 });
    expect(await holder('basic', 'staging')).toBe(2);
  });

  it('applies the promotion rule, against the champion or a fixed value, and says why it refuses', async () => {
    await modelWith('ruled', [0.7, 0.6, 0.8]);
    await server.data(MOVE, { input: { model: 'ruled', alias: 'champion', version: 1 } });
    await expect(server.app.services.registry.setPromotionRule(editor, 'ruled', { metric: 'macroF1', comparison: 'GTE', againstAlias: 'champion' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await server.gql(RULE, { model: 'ruled', rule: { metric: 'macroF1', comparison: 'GTE', againstAlias: 'champion', threshold: 0.5 } })).errors?.[0].message).toMatch(/exactly one of againstAlias and threshold/);
    const set = (await server.data(RULE, { model: 'ruled', rule: { alias: 'champion', metric: 'macroF1', comparison: 'GTE', againstAlias: 'champion' } })).setPromotionRule;
    expect(set.promotionRule).toEqual({ alias: 'champion', metric: 'macroF1', split: 'val', comparison: 'GTE', againstAlias: 'champion', threshold: null });

    const rejected = await move({ model: 'ruled', alias: 'champion', version: 2 });
    expect(rejected.errors?.[0]).toMatchObject({
      message: "Moving champion of model ruled to version 2 is rejected by the model's promotion rule: val macroF1 of version 2 is 0.6000 and must be ≥ 0.7000, the val macroF1 of version 1 (champion).",
      extensions: { code: 'PROMOTION_REJECTED', version: 2 },
    });
    expect(await holder('ruled', 'champion')).toBe(1);
    // The rule guards champion only.
    expect((await server.data(MOVE, { input: { model: 'ruled', alias: 'challenger', version: 2 } })).moveAlias.changed).toBe(true);
    expect((await server.data(MOVE, { input: { model: 'ruled', alias: 'champion', version: 3 } })).moveAlias.previousVersion).toBe(1);

    // A fixed bound, lower is better, for every alias.
    await server.data(RULE, { model: 'ruled', rule: { metric: 'loss', comparison: 'LTE', threshold: 0.25 } });
    expect((await move({ model: 'ruled', alias: 'canary', version: 1 })).errors?.[0].message).toMatch(/val loss of version 1 is 0\.3000 and must be ≤ 0\.25\.$/);
    expect((await move({ model: 'ruled', alias: 'canary', version: 3 })).errors).toBeUndefined();
    await server.data(RULE, { model: 'ruled', rule: null });
    expect((await move({ model: 'ruled', alias: 'champion', version: 2 })).errors).toBeUndefined();
  });

  it('lets exactly one of two concurrent promotions win, and tells the loser where the alias went', async () => {
    await modelWith('race', [0.5, 0.6, 0.7]);
    await server.data(MOVE, { input: { model: 'race', alias: 'champion', version: 1 } });
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([2, 3].map((version) => move({ model: 'race', alias: 'champion', version, expectedVersion: 1 })));
      const won = results.filter((r) => !r.errors);
      const lost = results.filter((r) => r.errors);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = won[0].data.moveAlias.alias.version;
      expect(won[0].data.moveAlias).toMatchObject({ changed: true, previousVersion: 1 });
      expect(lost[0].errors?.[0]).toMatchObject({
        message: `Alias champion of model race points at version ${winner} now, not version 1 as this call expected. Nothing was changed.`,
        extensions: { code: 'CONFLICT', currentVersion: winner, expectedVersion: 1 },
      });
      expect(await holder('race', 'champion')).toBe(winner);
      await server.data(MOVE, { input: { model: 'race', alias: 'champion', version: 1, expectedVersion: winner } });
    }
    // Two promotions to the same version: one moves it, the other learns it is already there.
    const same = await Promise.all([0, 1].map(() => server.data(MOVE, { input: { model: 'race', alias: 'champion', version: 3, expectedVersion: 1 } })));
    expect(same.map((r) => r.moveAlias.changed).sort()).toEqual([false, true]);
    const moves = await server.app.db.prisma.auditLog.count({ where: { modelName: 'race', action: 'ALIAS_MOVED' } });
    expect(moves).toBe(1 + 3 * 2 + 1);
  });

  it('keeps an audit log of every change, filtered by model and paginated newest first', async () => {
    await modelWith('audited', [0.5]);
    await server.data(MOVE, { input: { model: 'audited', alias: 'champion', version: 1 } });
    await server.data(`mutation { setAliasProtected(model: "audited", alias: "champion", protected: true) { alias } }`);
    await server.app.services.registry.setTags(editor, { model: 'audited', set: [{ key: 'k', value: 'v' }] });
    await server.data(`mutation { deleteAlias(model: "audited", alias: "champion") { name } }`);
    const seen: any[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { auditLog }: { auditLog: any } = await server.data(AUDIT, { model: 'audited', first: 2, after });
      seen.push(...auditLog.nodes);
      expect(auditLog.nodes.length).toBeLessThanOrEqual(2);
      if (!auditLog.pageInfo.hasNextPage) break;
      after = auditLog.pageInfo.endCursor;
    }
    expect(seen.map((e) => [e.action, e.actor, e.version, e.alias, e.from, e.to])).toEqual([
      ['ALIAS_DELETED', 'local', 1, 'champion', { version: 1 }, null],
      ['TAGS_CHANGED', 'eddie', null, null, {}, { k: 'v' }],
      ['ALIAS_PROTECTION_CHANGED', 'local', null, 'champion', { protected: false }, { protected: true }],
      ['ALIAS_MOVED', 'local', 1, 'champion', null, { version: 1 }],
      ['VERSION_CREATED', 'local', 1, null, null, expect.objectContaining({ runId: expect.any(String), artifactChecksum: expect.any(String) })],
      ['MODEL_CREATED', 'local', null, null, null, { description: null }],
    ]);
    expect(new Set(seen.map((e) => e.modelName))).toEqual(new Set(['audited']));
    expect(seen.map((e) => Number(e.id))).toEqual([...seen.map((e) => Number(e.id))].sort((a, b) => b - a));
    // The unfiltered log holds the other models' changes too, newest first.
    const all = (await server.data(AUDIT, { first: 500 })).auditLog.nodes;
    expect(all[0]).toEqual(seen[0]);
    expect(new Set(all.map((e: any) => e.modelName))).toEqual(new Set(['basic', 'ruled', 'race', 'audited']));
    expect((await server.gql(AUDIT, { after: 'bogus' })).errors?.[0].extensions?.code).toBe('BAD_INPUT');
  });

  it('publishes committed changes on registryEvents, and nothing for a refused one', async () => {
    const sub = subscribe(server.http.url, `subscription { registryEvents(model: "live") { type modelName version alias } }`);
    await sub.ready;
    await new Promise((r) => setTimeout(r, 200)); // the subscription is set up just after the connection
    await modelWith('live', [0.9, 0.5]);
    await server.data(MOVE, { input: { model: 'live', alias: 'champion', version: 1 } });
    await server.data(RULE, { model: 'live', rule: { metric: 'macroF1', comparison: 'GT', threshold: 0.8 } });
    expect((await move({ model: 'live', alias: 'champion', version: 2 })).errors?.[0].extensions?.code).toBe('PROMOTION_REJECTED');
    await server.data(`mutation { setTags(input: { model: "live", version: 2, set: [{ key: "rejected", value: "yes" }] }) { name } }`);
    await modelWith('other', [0.5]);
    await sub.until((events) => events.some((e) => e.registryEvents.type === 'TAGS_CHANGED'), 15_000);
    await sub.close();
    expect(sub.errors).toEqual([]);
    expect(sub.events.map((e) => e.registryEvents)).toEqual([
      { type: 'MODEL_CREATED', modelName: 'live', version: null, alias: null },
      { type: 'VERSION_CREATED', modelName: 'live', version: 1, alias: null },
      { type: 'VERSION_CREATED', modelName: 'live', version: 2, alias: null },
      { type: 'ALIAS_MOVED', modelName: 'live', version: 1, alias: 'champion' },
      { type: 'TAGS_CHANGED', modelName: 'live', version: 2, alias: null },
    ]);
  });
});
