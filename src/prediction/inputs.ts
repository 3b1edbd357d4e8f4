import sharp from 'sharp';
import { z } from 'zod';
import { confinedPath } from '../datasets/paths.js';
import { errors } from '../errors.js';
import { echoField } from '../util/echo.js';
import { FileTooLarge, NotARegularFile, readImageFile } from '../util/read-file.js';
import type { PredictorPlan } from './plan.js';
import type { RawSample } from './predictor.js';

/** Samples in one `predict` call: a batch for a caller, not a dataset (use predictDataset). */
export const MAX_INPUTS = 64;
/**
 * Largest base64 image, decoded. The GraphQL body limit is 2 MB (src/server/http.ts), and base64
 * adds a third; COCO images are about 100–200 kB.
 */
export const MAX_IMAGE_BYTES = 1024 * 1024;

const inputSchema = z.object({
  caption: z.string().max(5000, 'caption must be at most 5000 characters').nullish(),
  image: z
    .object({ path: z.string().min(1).nullish(), base64: z.string().min(1).nullish() })
    .refine((i) => Boolean(i.path) !== Boolean(i.base64), 'image takes exactly one of path and base64')
    .nullish(),
});
const inputsSchema = z.array(inputSchema).min(1, 'give at least one input').max(MAX_INPUTS, `at most ${MAX_INPUTS} inputs per call; use predictDataset for more`);

export type PredictionInput = z.infer<typeof inputSchema>;

/**
 * Validates `predict`'s inputs against the model: each must carry what the model reads (a caption,
 * an image, or both), image paths must lie under an allowed root (after resolving `..` and
 * symbolic links), base64 images must be base64 and small enough, and every image must be one
 * sharp reads with at most `maxPixels` pixels (read from its header: a small file may declare a
 * huge image). Inputs the model does not read (an image given to a text model) are ignored.
 * Errors name the input and field.
 */
export async function checkInputs(raw: unknown, plan: PredictorPlan, roots: () => Promise<string[]>, maxPixels = 40_000_000): Promise<RawSample[]> {
  const parsed = inputsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['inputs', ...issue.path].join('.');
    throw errors.badInput(`${field}: ${issue.message}`, { field });
  }
  const reads = plan.needs.text && plan.needs.image ? 'a caption and an image' : plan.needs.text ? 'a caption' : 'an image';
  const samples: RawSample[] = [];
  for (const [i, input] of parsed.data.entries()) {
    const caption = input.caption?.trim() ? input.caption : null;
    const missing = plan.needs.text && !caption ? 'caption' : plan.needs.image && !input.image ? 'image' : undefined;
    if (missing) {
      throw errors.badInput(`inputs.${i}: model ${plan.label} (head ${plan.head}) reads ${reads}; this input has no ${missing}`, { field: `inputs.${i}.${missing}` });
    }
    let image: RawSample['image'] = null;
    if (plan.needs.image && input.image) {
      const field = `inputs.${i}.image.${input.image.path ? 'path' : 'base64'}`;
      image = input.image.path ? { path: await allowedImagePath(input.image.path, await roots()) } : { base64: checkBase64(input.image.base64!, field) };
      await checkImageSize('path' in image ? image.path : Buffer.from(image.base64, 'base64'), field, maxPixels);
    }
    samples.push({ caption: plan.needs.text ? caption : null, image });
  }
  return samples;
}

/** The real path of an image file under one of `roots` (no `..`, no symbolic link out of them). */
export const allowedImagePath = (path: string, roots: string[]) => confinedPath('Image', path, 'file', roots);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The base64 text without a data-URL prefix or line breaks, checked for alphabet and size. */
function checkBase64(text: string, field: string): string {
  const body = text.replace(/^data:[\w.+/-]+;base64,/, '').replace(/\s+/g, '');
  if (!BASE64.test(body) || body.length % 4 === 1) throw errors.badInput(`${field}: not base64`, { field });
  const bytes = Math.floor((body.length * 3) / 4) - (body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0);
  if (bytes > MAX_IMAGE_BYTES) throw errors.badInput(`${field}: the image has ${bytes} bytes; at most ${MAX_IMAGE_BYTES} are accepted`, { field });
  if (bytes === 0) throw errors.badInput(`${field}: the image is empty`, { field });
  return body;
}

/** Refuses a file too large to read, or an image (by its header) with too many pixels. */
async function checkImageSize(path: string | Buffer, field: string, maxPixels: number): Promise<void> {
  let image = path;
  if (typeof path === 'string') {
    // A named pipe or device is refused on its descriptor, never read (it would block a libuv thread).
    image = await readImageFile(path).catch((err: unknown) => {
      if (err instanceof FileTooLarge) throw errors.badInput(`${field}: the file has ${err.size} bytes; at most ${err.limit} are read`, { field });
      if (err instanceof NotARegularFile) throw errors.badInput(`${field}: the path ${err.message}`, { field });
      throw err;
    });
  }
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(image, { limitInputPixels: false }).metadata());
  } catch (err) {
    throw errors.badInput(`${field}: not an image that can be read (${echoField((err as Error).message.split('\n')[0], 120)})`, { field });
  }
  if (!width || !height) throw errors.badInput(`${field}: not an image that can be read (no size in its header)`, { field });
  if (width * height > maxPixels) {
    throw errors.badInput(`${field}: the image is ${width}×${height} pixels (${width * height}); at most ${maxPixels} are accepted (TAGFUSION_IMAGE_MAX_PIXELS)`, { field });
  }
}
