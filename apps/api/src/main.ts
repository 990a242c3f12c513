import { runService } from '@fleet/runtime';
import { loadApiConfig } from './config';
import { start } from './server';

runService('api', () => loadApiConfig(), start);
