import { z } from 'zod';
import { errors } from '../errors.js';

/** What `importDataset` and `tagfusion import` accept. */
export const importInputSchema = z.object({
  /** dataset name; versions are numbered within it */
  name: z
    .string()
    .trim()
    .min(1, 'name must not be empty')
    .max(100, 'name must be at most 100 characters')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'name may hold letters, digits, ".", "_" and "-", starting with a letter or digit'),
  /** CSV file: ImageID,Labels,Caption (labelled) or ImageID,Caption (unlabelled) */
  csvPath: z.string().min(1, 'csvPath must not be empty'),
  /** folder holding the images named by ImageID; absent for a text-only dataset */
  imagesDir: z.string().min(1).nullish(),
  /** share of labelled samples held out for validation */
  valFraction: z.number().gt(0, 'valFraction must be above 0').lt(1, 'valFraction must be below 1').default(0.1),
  // stored in an integer column: a larger seed would fail in the database, not here
  splitSeed: z.number().int('splitSeed must be a whole number').min(-2_147_483_648, 'splitSeed must be at least -2147483648').max(2_147_483_647, 'splitSeed must be at most 2147483647').default(42),
  /** optional names for label ids */
  labelNames: z.array(z.object({ id: z.number().int(), name: z.string().min(1).max(100) })).nullish(),
});

export type ImportInput = z.infer<typeof importInputSchema>;

/** The import job's payload: the input with real paths, and the paths as given, for its errors. */
export const importPayloadSchema = importInputSchema.extend({
  given: z.object({ csvPath: z.string(), imagesDir: z.string().nullish() }).optional(),
});

export type ImportPayload = z.infer<typeof importPayloadSchema>;

export const parseImportInput = (input: unknown): ImportInput => parseWith(importInputSchema, input);
export const parseImportPayload = (input: unknown): ImportPayload => parseWith(importPayloadSchema, input);

function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw errors.badInput(`${issue.path.join('.') || 'input'}: ${issue.message}`, { field: issue.path.join('.') });
  }
  return parsed.data;
}
