import { clusterRole, lifecycleLog, runClusterWorker, runService } from '@fleet/runtime';
import { loadApiConfig } from './config';
import { clustered, start, startPrimary, startWorker } from './server';

// One entry for every role: the single in-process API, the cluster primary, and its forked workers
// (API_WORKERS serving the main port, OSMAND_WORKERS only the OsmAnd port, LIVE_WORKERS only LIVE_PORT).
if (clusterRole() !== undefined) runClusterWorker(startWorker, lifecycleLog('api'));
else
  runService(
    'api',
    () => loadApiConfig(),
    (config) => (clustered(config) ? startPrimary(config) : start(config)),
  );
