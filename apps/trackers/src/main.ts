import cluster from 'node:cluster';
import { lifecycleLog, runService } from '@fleet/runtime';
import { loadTrackersConfig } from './config';
import { runWorker, start } from './server';

// One entry for both roles: the primary (or the single in-process gateway) and the forked workers.
if (cluster.isWorker) {
  runWorker().catch((err: unknown) => {
    lifecycleLog('trackers')('error', `worker failed to start: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
} else {
  runService('trackers', () => loadTrackersConfig(), start);
}
