import { describe, expect, it } from 'vitest';
import { MUTATION_ROLES, roleForMutation } from '../../src/auth/roles.js';
import { buildSchema } from '../../src/resolvers/index.js';

describe('the role table of mutations', () => {
  const mutations = Object.keys(buildSchema().getMutationType()!.getFields()).sort();

  it('names every Mutation field of the SDL, and nothing else', () => {
    const missing = mutations.filter((m) => !Object.hasOwn(MUTATION_ROLES, m));
    expect(missing, `add these mutations to MUTATION_ROLES in src/auth/roles.ts`).toEqual([]);
    expect(Object.keys(MUTATION_ROLES).filter((m) => !mutations.includes(m)), 'stale entries').toEqual([]);
  });

  it('closes an unknown mutation to all but admins', () => {
    expect(roleForMutation('dropEverything')).toBe('admin');
    expect(roleForMutation('toString')).toBe('admin');
  });

  it('gives tokens, webhooks, protection and promotion rules to admins, work to editors', () => {
    for (const m of ['createApiToken', 'revokeApiToken', 'createWebhook', 'deleteWebhook', 'testWebhook', 'setAliasProtected', 'setPromotionRule']) expect(MUTATION_ROLES[m], m).toBe('admin');
    for (const m of ['importDataset', 'extractFeatures', 'startTraining', 'startSweep', 'cancelExperiment', 'predictDataset', 'registerModelVersion', 'moveAlias', 'setTags', 'cancelJob'])
      expect(MUTATION_ROLES[m], m).toBe('editor');
    expect(Object.values(MUTATION_ROLES)).not.toContain('viewer');
  });
});
