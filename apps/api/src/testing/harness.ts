import { PassThrough } from 'node:stream';
import { createLogger } from '@fleet/logging-json';
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
  const stream = new PassThrough();
  const lines: string[] = [];
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  const logger = createLogger({ service: 'api', format: 'json', level: 'debug', stream, secrets: [config.jwt.secret] });
  const api = await start(config, { logger });
  return {
    api,
    config,
    base: `http://127.0.0.1:${api.port}`,
    logLines: () => new Promise((resolve) => setImmediate(() => resolve([...lines]))),
  };
}
