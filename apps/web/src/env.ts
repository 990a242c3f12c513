/// <reference types="vite/client" />
// The only module that reads Vite's import.meta (jest maps it to testing/env-stub.ts).

/** Values fixed when the bundle was built (`MAP_TILE_URL=… MAP_TOKEN=… nx build web`). */
export const buildEnv = {
  mapTileUrl: (import.meta.env['MAP_TILE_URL'] as string | undefined) || undefined,
  mapToken: (import.meta.env['MAP_TOKEN'] as string | undefined) || undefined,
  dev: import.meta.env.DEV,
};
