import { defineConfig } from 'vite';

// The API runs on another port in development (`npm run dev`); in production the server
// serves dist/ on its own port, so the UI always calls /graphql on its origin.
const api = process.env.TAGFUSION_API ?? 'http://127.0.0.1:4000';

export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/graphql': { target: api, ws: true }, '/predictions': api, '/datasets': api } },
});
