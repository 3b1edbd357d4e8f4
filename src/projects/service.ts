import type { Database } from '../db/database.js';
import type { Project } from '../db/generated/client.js';
import { errors, isAppError } from '../errors.js';
import { parseInput } from '../util/input.js';
import { createProjectInput, projectId, projectName, projectRef, tagKey, tagValue, updateProjectInput } from './input.js';
import * as repo from './repository.js';

const MAX_PAGE = 1_000;
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === 'P2002';

/**
 * Projects: named containers of runs (MLflow's experiments). Default (id 0) always exists and
 * holds runs that name no project. Deleting one is soft and takes its runs along; restoring it
 * brings back the runs deleted with it, not those deleted before.
 */
export class ProjectService {
  constructor(private readonly db: Database) {}

  async create(raw: unknown): Promise<Project> {
    const input = parseInput(createProjectInput, raw);
    try {
      return await repo.createProject(this.db.prisma, { name: input.name, description: input.description, tags: input.tags ?? {} });
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.projectExists(input.name);
      throw err;
    }
  }

  /** A project by id (a number, or its decimal text as MLflow clients send it). */
  async get(rawId: unknown): Promise<Project> {
    const parsed = projectId.safeParse(rawId);
    const project = parsed.success ? await repo.findProject(this.db.prisma, parsed.data) : null;
    if (!project) throw errors.projectNotFound(String(rawId).slice(0, 40));
    return project;
  }

  async getByName(raw: unknown): Promise<Project> {
    const name = parseInput(projectName, raw);
    const project = await repo.findProjectByName(this.db.prisma, name);
    if (!project) throw errors.projectNotFound(name);
    return project;
  }

  /** A project that runs may be logged into: it exists and is not deleted. */
  async getActive(rawId: unknown): Promise<Project> {
    const project = await this.get(rawId);
    if (project.deletedAt) throw errors.projectDeleted(project.name);
    return project;
  }

  /**
   * The project that new runs of tagfusion's own jobs (training, experiments) go into: Default
   * when none is named; BAD_INPUT for a malformed id, else as getActive.
   */
  async forNewRuns(rawId: unknown): Promise<Project> {
    if (rawId == null) return this.getActive(repo.DEFAULT_PROJECT_ID);
    return this.getActive(parseInput(projectRef, { projectId: rawId }).projectId);
  }

  /** A project by name, or by id when no project has that name and it is a whole number (the CLI's `--project`). */
  async byNameOrId(which: string): Promise<Project> {
    try {
      return await this.getByName(which);
    } catch (err) {
      if (!(isAppError(err) && err.code === 'PROJECT_NOT_FOUND') || !/^\d+$/.test(which)) throw err;
      return this.get(which);
    }
  }

  async list(q: repo.ProjectQuery, first = 100, afterId: number | null = null) {
    if (first < 1 || first > MAX_PAGE) throw errors.badInput(`first must be between 1 and ${MAX_PAGE}`, { field: 'first' });
    return repo.listProjects(this.db.prisma, q, first, afterId);
  }

  async update(raw: unknown): Promise<Project> {
    const input = parseInput(updateProjectInput, raw);
    await this.get(input.id);
    try {
      return await repo.updateProject(this.db.prisma, input.id, {
        ...(input.name ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.projectExists(input.name!);
      throw err;
    }
  }

  /** Sets (value a string) or removes (value null) one tag. */
  async setTag(rawId: unknown, rawKey: unknown, rawValue: unknown): Promise<Project> {
    const project = await this.get(rawId);
    const key = parseInput(tagKey, rawKey);
    const value = rawValue === null ? null : parseInput(tagValue, rawValue);
    const tags = { ...(project.tags as Record<string, string>) };
    if (value === null) delete tags[key];
    else tags[key] = value;
    return repo.updateProject(this.db.prisma, project.id, { tags });
  }

  /** Soft-deletes a project and its runs in one transaction; Default cannot be deleted. */
  async delete(rawId: unknown): Promise<Project> {
    const project = await this.get(rawId);
    if (project.id === repo.DEFAULT_PROJECT_ID) throw errors.badInput('The Default project cannot be deleted.', { field: 'id' });
    if (project.deletedAt) return project;
    const now = new Date();
    return this.db.prisma.$transaction(async (tx) => {
      await repo.setRunsDeleted(tx, project.id, now);
      return repo.updateProject(tx, project.id, { deletedAt: now });
    });
  }

  /** Restores a deleted project and the runs that were deleted with it. */
  async restore(rawId: unknown): Promise<Project> {
    const project = await this.get(rawId);
    if (!project.deletedAt) return project;
    const deletedAt = project.deletedAt;
    return this.db.prisma.$transaction(async (tx) => {
      await repo.setRunsDeleted(tx, project.id, null, deletedAt);
      return repo.updateProject(tx, project.id, { deletedAt: null });
    });
  }

  byIds = (ids: readonly number[]) => repo.projectsByIds(this.db.prisma, ids);
  runCounts = (ids: readonly number[]) => repo.runCounts(this.db.prisma, ids);
}
