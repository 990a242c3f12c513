import { ConfigError, onShutdownSignal } from '@fleet/runtime';
import { loadApiConfig } from './config';
import { start } from './server';

async function main() {
  let config;
  try {
    config = loadApiConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`api: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const api = await start(config);
  onShutdownSignal(
    () => api.stop(),
    (msg) => console.error(`api: ${msg}`),
  );
}

main().catch((err: unknown) => {
  console.error(`api: failed to start: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
