import { loadClientConfig, type LoadedClientConfig } from '@fleet/api-client';
import type { BuildMapConfig, ClientConfig } from '@fleet/contracts';
import Constants from 'expo-constants';
import { useEffect, useState } from 'react';

/** The tiles app.config.ts put into the build (`MAP_TILE_URL` / `MAP_TOKEN` at build time), if any. */
export function buildMapConfig(
  extra: Record<string, unknown> | undefined = Constants.expoConfig?.extra,
): BuildMapConfig {
  const text = (key: string) => {
    const value = extra?.[key];
    return typeof value === 'string' && value.trim() !== '' ? value : undefined;
  };
  return { mapTileUrl: text('mapTileUrl'), mapToken: text('mapToken') };
}

/** What the map needs of a signed-in dispatcher: the server and how to reach it. */
export interface MapServer {
  serverUrl: string;
  fetch?: typeof fetch;
}

/**
 * One `/config.json` read per server session (the web's settings: the web and the API share an origin
 * in the compose and Helm deployments). Not kept when the server was unreachable: the next map tries
 * again.
 */
const loads = new WeakMap<MapServer, Promise<LoadedClientConfig>>();

export function mapConfigOf(server: MapServer, build: BuildMapConfig = buildMapConfig()): Promise<LoadedClientConfig> {
  let load = loads.get(server);
  if (!load) {
    load = loadClientConfig(server.serverUrl, { fetch: server.fetch, build, timeoutMs: 5_000 });
    loads.set(server, load);
    void load.then((loaded) => loaded.status === 'unreachable' && loads.delete(server));
  }
  return load;
}

/** The map settings of the session's server; null while they load (at most the loader's timeout). */
export function useMapConfig(server: MapServer): ClientConfig | null {
  const [config, setConfig] = useState<ClientConfig | null>(null);
  useEffect(() => {
    let current = true;
    void mapConfigOf(server).then((loaded) => current && setConfig(loaded.config));
    return () => {
      current = false;
    };
  }, [server]);
  return config;
}
