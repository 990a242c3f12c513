import { ConfigError } from './env';

/**
 * The few lines a service prints outside its logger (before it has one, or while exiting), in the
 * logger's own shape: a JSON line on stdout where logs are JSON (LOG_FORMAT=json, or staging and
 * production by default), plain text on stderr otherwise.
 */
export function lifecycleLog(service: string, env: NodeJS.ProcessEnv = process.env) {
  const json = env['LOG_FORMAT']
    ? env['LOG_FORMAT'] === 'json'
    : ['staging', 'production'].includes(env['APP_ENV'] ?? '');
  return (level: 'info' | 'error', msg: string) => {
    if (json) process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, service, msg })}\n`);
    else console.error(`${service}: ${msg}`);
  };
}

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
  const log = lifecycleLog(name);
  const main = async () => {
    let config: C;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        log('error', err.message);
        process.exit(1);
      }
      throw err;
    }
    const service = await start(config);
    onShutdownSignal(
      () => service.stop(),
      (msg) => log(msg.startsWith('shutdown failed') ? 'error' : 'info', msg),
    );
  };
  main().catch((err: unknown) => {
    log('error', `failed to start: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
