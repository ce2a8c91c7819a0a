import { defineConfig } from 'vite';

// A static site: relative base so dist/ works from any folder or sub-path; the worker is an
// ES module (it imports the core and the data package like the page does).
export default defineConfig({
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
