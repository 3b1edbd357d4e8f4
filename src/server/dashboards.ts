import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import express, { type Router } from 'express';
import type { App } from '../app.js';
import { confinedPath } from '../datasets/paths.js';
import { openRegularFile } from '../util/regular-file.js';

/** Larger than any image an import accepts (TAGFUSION_IMAGE_MAX_PIXELS); a cap on what one request streams. */
const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

const IMAGE_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif' };

/** Dataset ids are UUIDs and image ids short names; anything else cannot be a sample. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * HTTP routes the dashboards need beside GraphQL: a sample's image, for the sample browser. Only
 * the image file of a sample the dataset holds is served (the path recorded at import, under
 * the dataset's images folder), never another file of that folder, and only a regular file of
 * an image type. With tokens required the answer may be cached by the browser only.
 */
export function dashboardRoutes(app: App): Router {
  const router = express.Router();
  const cacheControl = app.services.auth.mode === 'open' ? 'public, max-age=3600' : 'private, max-age=3600';
  router.get('/datasets/:id/images/:imageId', async (req, res, next) => {
    const notFound = () => void res.status(404).type('text/plain').send('image not found');
    const { id, imageId } = req.params;
    if (!UUID.test(id) || imageId.length > 512) return notFound();
    try {
      const dataset = await app.services.datasets.find(id);
      const relative = dataset?.imagesDir ? await app.services.datasets.sampleImagePath(id, imageId) : null;
      const type = relative && IMAGE_TYPES[extname(relative).toLowerCase()];
      if (!dataset?.imagesDir || !relative || !type) return notFound();
      // A link swapped in after the import must not lead out of the images folder.
      const real = await confinedPath('Image', join(dataset.imagesDir, relative), 'file', [dataset.imagesDir]).catch(() => undefined);
      const file = real && (await openRegularFile(real, MAX_IMAGE_BYTES).catch(() => undefined));
      if (!file) return notFound();
      res.status(200).type(type).set({ 'content-length': String(file.size), 'cache-control': cacheControl, 'x-content-type-options': 'nosniff' });
      await pipeline(file.handle.createReadStream(), res).catch(() => res.destroy());
    } catch (err) {
      next(err);
    }
  });
  return router;
}
