import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { App } from '../../src/app.js';
import { artifactRoot } from '../../src/features/paths.js';
import type { Actor } from '../../src/registry/actor.js';

export const editor: Actor = { name: 'eddie', role: 'editor' };

/** Uploads a file to a run through the artifact service (to the bucket too, when there is one). */
export const upload = (app: App, runId: string, path: string, body: string) => app.services.artifacts.upload(runId, path, { stream: Readable.from([Buffer.from(body)]) });

export const folderOf = (app: App, runId: string) => join(artifactRoot(app.config), runId);
export const hasFolder = (app: App, runId: string) => existsSync(folderOf(app, runId));

/** A run with a param, two metric points, a tag and an artifact file. */
export async function fullRun(app: App, name: string, projectId = 0): Promise<string> {
  const s = app.services;
  const run = await s.runs.create({ kind: 'external', name, projectId, status: 'RUNNING' });
  await s.tracking.logParams(run.id, [{ key: 'lr', value: '0.1' }]);
  await s.tracking.logPoints(run.id, [0, 1].map((step) => ({ name: 'loss', split: 'train', step, timestamp: Date.now(), value: 1 / (step + 1) })));
  await s.tracking.setTags(run.id, [{ key: 'team', value: 'vision' }]);
  await upload(app, run.id, 'model/weights.bin', `weights of ${name}`);
  return run.id;
}

/** Registers a version of `model` from the run's `model` folder (registered as unservable: no card). */
export async function versionOf(app: App, model: string, runId: string): Promise<number> {
  if (!(await app.services.registry.findModel(model))) await app.services.registry.lifecycle.createModel(editor, { name: model });
  return (await app.services.registry.lifecycle.createVersion(editor, { model, source: `runs:/${runId.replace(/-/g, '')}/model` })).version;
}

/** How many rows of each kind a run still has. */
export async function rowsOf(app: App, runId: string) {
  const p = app.db.prisma;
  const where = { where: { runId } };
  return {
    run: await p.run.count({ where: { id: runId } }),
    params: await p.runParam.count(where),
    points: await p.epochMetric.count(where),
    tags: await p.runTag.count(where),
    artifacts: await p.artifact.count(where),
  };
}
