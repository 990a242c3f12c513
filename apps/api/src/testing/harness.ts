import { captureLogger } from '@fleet/logging-json/testing';
import { loadApiConfig, type ApiConfig } from '../config';
import { start, type ApiHandle } from '../server';

export interface StartedApi {
  api: ApiHandle;
  config: ApiConfig;
  base: string;
  /** Every log line the API wrote so far. */
  logLines(): Promise<string[]>;
}

/** Starts the API in-process on a free port with JSON logs captured. */
export async function startTestApi(
  env: Record<string, string>,
  options: { keyPrefix?: string } = {},
): Promise<StartedApi> {
  const config = loadApiConfig({
    APP_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    OSMAND_PORT: '0',
    LOG_FORMAT: 'json',
    SHUTDOWN_GRACE_MS: '5000',
    ...env,
  });
  config.redis.keyPrefix = options.keyPrefix;
  const { logger, lines } = captureLogger({
    service: 'api',
    format: 'json',
    level: 'debug',
    secrets: [config.jwt.secret],
  });
  const api = await start(config, { logger });
  return {
    api,
    config,
    base: `http://127.0.0.1:${api.port}`,
    logLines: lines,
  };
}
