import { ConfigError, onShutdownSignal } from '@fleet/runtime';
import { loadWorkerConfig } from './config';
import { start } from './server';

async function main() {
  let config;
  try {
    config = loadWorkerConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`worker: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const worker = await start(config);
  onShutdownSignal(
    () => worker.stop(),
    (msg) => console.error(`worker: ${msg}`),
  );
}

main().catch((err: unknown) => {
  console.error(`worker: failed to start: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
