import { loadClientConfig } from '@fleet/api-client';
import { resolveClientConfig, type ClientConfig, type RuntimeConfig } from '@fleet/contracts';
import { buildEnv } from './env';

export { DEFAULT_ATTRIBUTION, DEFAULT_TILE_URL } from '@fleet/contracts';

/** The schema, defaults and resolution are shared with the phone app (`@fleet/contracts` map-config). */
export type WebConfig = ClientConfig;

/** Build-time values, overridden by whatever `/config.json` says; empty strings count as unset. */
export function resolveConfig(runtime: RuntimeConfig, build = buildEnv): WebConfig {
  return resolveClientConfig(runtime, build);
}

/** Reads `/config.json`; a missing or broken file means the defaults (the map must always come up). */
export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<WebConfig> {
  return (await loadClientConfig('', { fetch: fetchImpl, build: buildEnv })).config;
}
