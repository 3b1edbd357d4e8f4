import type { App } from '../app.js';

/**
 * `--project <name|id>` of the commands that start runs: the project's id, found by name (or by
 * id when no project has that name), for the service that creates the runs and checks that the
 * project is not deleted. Absent, the runs go into Default.
 */
export async function placementOf(app: App, project: string | undefined): Promise<{ projectId?: number }> {
  return project === undefined ? {} : { projectId: (await app.services.projects.byNameOrId(project)).id };
}
