export const buildEnv = { mapTileUrl: undefined, mapToken: undefined, dev: false };
