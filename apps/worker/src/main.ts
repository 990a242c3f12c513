import { runService } from '@fleet/runtime';
import { loadWorkerConfig } from './config';
import { start } from './server';

runService('worker', () => loadWorkerConfig(), start);
