export { createMetrics, type Metrics } from './metrics';
export { METRIC } from './names';
