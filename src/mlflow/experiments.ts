import type { App } from '../app.js';
import type { Project } from '../db/generated/client.js';
import { experimentJson } from './convert.js';
import { notFound } from './errors.js';
import { searchExperiments } from './experiments-search.js';
import type { MlflowRoute } from './routes.js';
import { messages, requiredString, requiredValue, type Fields } from './tracking-input.js';

/**
 * MLflow's experiments over tagfusion's projects (ids are the project ids as decimal strings;
 * Default is "0"). An experiment's artifact_location is the server's artifact proxy: an
 * `artifact_location` given at creation is accepted and not used, since tagfusion's artifact
 * store is the server's to choose.
 */
const project = (app: App, input: Fields) => app.services.projects.get(requiredString(input, 'experiment_id'));

/** As MLflow's store: deleting needs an active experiment, restoring a deleted one. */
async function inStage(app: App, input: Fields, deleted: boolean): Promise<Project> {
  const p = await project(app, input);
  if (Boolean(p.deletedAt) !== deleted) throw notFound(`No ${deleted ? 'deleted' : 'active'} experiment with id=${p.id} exists.`);
  return p;
}

export const experimentRoutes: MlflowRoute[] = [
  {
    method: 'POST',
    path: '/experiments/create',
    role: 'editor',
    handler: async ({ app, input }) => {
      const tags = Object.fromEntries(messages(input, 'tags').map((t) => [requiredString(t, 'key'), requiredValue(t, 'value')]));
      const created = await app.services.projects.create({ name: requiredString(input, 'name'), tags });
      return { experiment_id: String(created.id) };
    },
  },
  {
    method: 'GET',
    path: '/experiments/get',
    role: 'viewer',
    handler: async ({ app, input }) => ({ experiment: experimentJson(await project(app, input)) }),
  },
  {
    method: 'GET',
    path: '/experiments/get-by-name',
    role: 'viewer',
    handler: async ({ app, input }) => ({ experiment: experimentJson(await app.services.projects.getByName(requiredString(input, 'experiment_name'))) }),
  },
  { method: 'GET', path: '/experiments/search', role: 'viewer', handler: ({ app, input }) => searchExperiments(app, input) },
  { method: 'POST', path: '/experiments/search', role: 'viewer', handler: ({ app, input }) => searchExperiments(app, input) },
  {
    method: 'POST',
    path: '/experiments/update',
    role: 'editor',
    handler: async ({ app, input }) => {
      const p = await app.services.projects.getActive(requiredString(input, 'experiment_id'));
      await app.services.projects.update({ id: p.id, name: requiredString(input, 'new_name') });
    },
  },
  {
    method: 'POST',
    path: '/experiments/delete',
    role: 'editor',
    handler: async ({ app, input }) => void (await app.services.projects.delete((await inStage(app, input, false)).id)),
  },
  {
    method: 'POST',
    path: '/experiments/restore',
    role: 'editor',
    handler: async ({ app, input }) => void (await app.services.projects.restore((await inStage(app, input, true)).id)),
  },
  {
    method: 'POST',
    path: '/experiments/set-experiment-tag',
    role: 'editor',
    handler: async ({ app, input }) => {
      const p = await app.services.projects.getActive(requiredString(input, 'experiment_id'));
      await app.services.projects.setTag(p.id, requiredString(input, 'key'), requiredValue(input, 'value'));
    },
  },
  {
    method: 'POST',
    path: '/experiments/delete-experiment-tag',
    role: 'editor',
    handler: async ({ app, input }) => {
      const p = await app.services.projects.getActive(requiredString(input, 'experiment_id'));
      const key = requiredString(input, 'key');
      if (!(key in (p.tags as Record<string, string>))) throw notFound(`No tag with name: ${key.slice(0, 250)} in experiment with id ${p.id}.`);
      await app.services.projects.setTag(p.id, key, null);
    },
  },
];
