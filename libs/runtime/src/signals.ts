import { ConfigError } from './env';

/**
 * Runs `shutdown` once on the first SIGTERM or SIGINT, then exits with its result. A second signal
 * while draining exits at once (an impatient Ctrl-C).
 */
export function onShutdownSignal(
  shutdown: (signal: NodeJS.Signals) => Promise<void>,
  log: (msg: string) => void,
): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal} received: draining`);
    shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/**
 * The whole `main` of a service: load its configuration (a bad one is printed, naming each
 * variable, and exits 1), start it, and drain it on SIGTERM/SIGINT.
 */
export function runService<C>(
  name: string,
  loadConfig: () => C,
  start: (config: C) => Promise<{ stop(): Promise<void> }>,
): void {
  const main = async () => {
    let config: C;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(`${name}: ${err.message}`);
        process.exit(1);
      }
      throw err;
    }
    const service = await start(config);
    onShutdownSignal(
      () => service.stop(),
      (msg) => console.error(`${name}: ${msg}`),
    );
  };
  main().catch((err: unknown) => {
    console.error(`${name}: failed to start: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
