import { RuntimeConfig, resolveClientConfig, type BuildMapConfig, type ClientConfig } from '@fleet/contracts';

/**
 * How `/config.json` went: `loaded` (valid, applied), `missing` (not served: an error status),
 * `invalid` (not JSON, or not the schema: ignored whole), `unreachable` (no answer in time, offline).
 */
export type ClientConfigStatus = 'loaded' | 'missing' | 'invalid' | 'unreachable';

export interface LoadedClientConfig {
  config: ClientConfig;
  status: ClientConfigStatus;
}

export interface LoadClientConfigOptions {
  fetch?: typeof fetch;
  /** Build-time values that `/config.json` overrides. */
  build?: BuildMapConfig;
  /** Give up (and use the defaults) after this long. Default 10 s. */
  timeoutMs?: number;
}

/**
 * Reads the site's `/config.json` (the web app's run-time settings: tiles, token, attribution, map
 * centre) from `baseUrl` (`''` for the page's own origin), checked with the schema the web uses. Never
 * fails: a missing, broken or unreachable file gives the build-time values and the defaults (a map
 * must always come up), and `status` says which case it was.
 */
export async function loadClientConfig(
  baseUrl: string,
  options: LoadClientConfigOptions = {},
): Promise<LoadedClientConfig> {
  const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const fallback = (status: ClientConfigStatus): LoadedClientConfig => ({
    config: resolveClientConfig({}, options.build),
    status,
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 10_000);
  try {
    let res: Response;
    try {
      res = await fetchImpl(`${baseUrl.replace(/\/+$/, '')}/config.json`, {
        // Browsers and React Native have `cache`; Node's RequestInit types (the API's build) lack it.
        ...({ cache: 'no-store' } as RequestInit),
        headers: { accept: 'application/json' },
        signal: abort.signal,
      });
    } catch {
      return fallback('unreachable');
    }
    if (!res.ok) return fallback('missing');
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return fallback(abort.signal.aborted ? 'unreachable' : 'invalid');
    }
    const parsed = RuntimeConfig.safeParse(body);
    if (!parsed.success) return fallback('invalid');
    return { config: resolveClientConfig(parsed.data, options.build), status: 'loaded' };
  } finally {
    clearTimeout(timer);
  }
}
