import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Where the dev server and `vite preview` send /api: the API started by `npm start` (PORT 3000 by default).
const apiTarget = process.env['API_URL'] ?? `http://127.0.0.1:${process.env['API_PORT'] ?? 3000}`;
// The live streams (the organization's and a share link's): to the API's LIVE_PORT when there is one
// (LIVE_URL or LIVE_PORT; `npm start` sets it), processes serving only them; else the API's main port.
const liveTarget =
  process.env['LIVE_URL'] ??
  (process.env['LIVE_PORT'] && process.env['LIVE_PORT'] !== 'off'
    ? `http://127.0.0.1:${process.env['LIVE_PORT']}`
    : apiTarget);
// The first matching entry wins: the live paths before the rest of /api.
const proxy = {
  '^/api/v1/(live|shared/[^/?]+/live)([?].*)?$': { target: liveTarget, changeOrigin: false, xfwd: true },
  '/api': { target: apiTarget, changeOrigin: false, xfwd: true },
};
const here = path.dirname(fileURLToPath(import.meta.url));
const lib = (name: string) => path.resolve(here, `../../libs/${name}/src/index.ts`);

export default defineConfig({
  root: here,
  cacheDir: '../../node_modules/.vite/apps/web',
  // MAP_TILE_URL and MAP_TOKEN may be given at build time; /config.json overrides them at run time.
  envPrefix: ['VITE_', 'MAP_'],
  resolve: {
    alias: {
      '@fleet/contracts': lib('contracts'),
      '@fleet/api-client': lib('api-client'),
    },
  },
  server: { port: Number(process.env['WEB_PORT'] ?? 4200), host: process.env['WEB_HOST'] ?? 'localhost', proxy },
  preview: { port: Number(process.env['WEB_PORT'] ?? 4300), host: process.env['WEB_HOST'] ?? 'localhost', proxy },
  plugins: [react()],
  build: {
    outDir: '../../dist/apps/web',
    emptyOutDir: true,
    reportCompressedSize: true,
    target: 'es2022',
    sourcemap: false,
  },
});
