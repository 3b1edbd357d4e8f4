import { z } from 'zod';
import { nonBlank, safeString } from '../util/input.js';

export const MAX_PROJECT_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 10_000;
export const MAX_TAG_KEY_LENGTH = 250;
/** MLflow's limit on a tag value (MAX_TAG_VAL_LENGTH in its validation module). */
export const MAX_TAG_VALUE_LENGTH = 8_000;

export const projectName = nonBlank(MAX_PROJECT_NAME_LENGTH);

/** A project's id: Default is 0, others count up from 1 (MLflow's experiment ids are such strings). */
export const projectId = z.coerce
  .number({ error: 'must be a project id (a whole number)' })
  .int('must be a project id (a whole number)')
  .min(0, 'must be a project id (a whole number)')
  .max(2 ** 31 - 1, 'must be a project id (a whole number)');

/** The project a new run goes into, as a field of its own (so that errors name `projectId`). */
export const projectRef = z.object({ projectId });

export const tagKey = nonBlank(MAX_TAG_KEY_LENGTH);
export const tagValue = safeString(MAX_TAG_VALUE_LENGTH);

export const createProjectInput = z.object({
  name: projectName,
  description: safeString(MAX_DESCRIPTION_LENGTH).nullish(),
  tags: z.record(tagKey, tagValue).nullish(),
});

export const updateProjectInput = z.object({
  id: projectId,
  name: projectName.nullish(),
  description: safeString(MAX_DESCRIPTION_LENGTH).nullish(),
});
