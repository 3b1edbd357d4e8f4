import express, { type Router } from 'express';
import type { App } from '../app.js';

/**
 * HTTP routes the dashboards need beside GraphQL: a dataset's sample images, so the sample
 * browser can show them. The file is looked up under the dataset's own image folder only
 * (`sendFile` with `root` refuses paths that climb out of it), and dotfiles are refused.
 */
export function dashboardRoutes(app: App): Router {
  const router = express.Router();
  router.get('/datasets/:id/images/:imageId', async (req, res) => {
    const dataset = await app.services.datasets.find(req.params.id).catch(() => null);
    if (!dataset?.imagesDir) return void res.status(404).type('text/plain').send('no images for this dataset');
    res.sendFile(req.params.imageId, { root: dataset.imagesDir, dotfiles: 'deny', maxAge: '1h' }, (err) => {
      if (err && !res.headersSent) res.status(404).type('text/plain').send('image not found');
    });
  });
  return router;
}
