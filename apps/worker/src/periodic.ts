import type { Logger } from '@fleet/logging-json';
import client from 'prom-client';

export interface PeriodicJob {
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
  /** Runs now (unless a run is in progress) and resolves when done. */
  runNow(): Promise<void>;
}

export interface PeriodicOptions {
  name: string;
  intervalMs: number;
  logger: Logger;
  registry: client.Registry;
  run: () => Promise<unknown>;
}

const metricsByRegistry = new WeakMap<
  client.Registry,
  { runs: client.Counter<'task' | 'outcome'>; duration: client.Histogram<'task'> }
>();

function jobMetrics(registry: client.Registry) {
  let m = metricsByRegistry.get(registry);
  if (!m) {
    m = {
      runs: new client.Counter({
        name: 'worker_job_runs_total',
        help: 'Runs of periodic worker jobs',
        labelNames: ['task', 'outcome'],
        registers: [registry],
      }),
      duration: new client.Histogram({
        name: 'worker_job_duration_seconds',
        help: 'Duration of periodic worker jobs',
        labelNames: ['task'],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, m);
  }
  return m;
}

/** Runs `run` at start and then every `intervalMs`, never two at once; a failure is logged and retried next time. */
export function startPeriodic(options: PeriodicOptions): PeriodicJob {
  const metrics = jobMetrics(options.registry);
  let current: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const runOnce = (): Promise<void> => {
    if (current) return current;
    const end = metrics.duration.startTimer({ task: options.name });
    current = options
      .run()
      .then(
        (result) => {
          metrics.runs.inc({ task: options.name, outcome: 'ok' });
          options.logger.debug(`${options.name} done`, { result });
        },
        (err: unknown) => {
          metrics.runs.inc({ task: options.name, outcome: 'error' });
          options.logger.error(`${options.name} failed`, { err });
        },
      )
      .finally(() => {
        end();
        current = undefined;
      });
    return current;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().finally(schedule), options.intervalMs);
  };
  void runOnce().finally(schedule);

  return {
    runNow: runOnce,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
