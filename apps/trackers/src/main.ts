import { clusterRole, lifecycleLog, runClusterWorker, runService } from '@fleet/runtime';
import { loadTrackersConfig } from './config';
import { start, startWorker } from './server';

// One entry for both roles: the primary (or the single in-process gateway) and the forked workers.
if (clusterRole() !== undefined) runClusterWorker(startWorker, lifecycleLog('trackers'));
else runService('trackers', () => loadTrackersConfig(), start);
