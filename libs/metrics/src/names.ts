/** Metric names shared by the code, the alert rules and the dashboards. */
export const METRIC = {
  httpDuration: 'http_request_duration_seconds',
  httpInFlight: 'http_requests_in_flight',
} as const;

/** Buckets that include the SLO thresholds (0.1 s, 0.3 s, 1 s) so burn-rate alerts can use them. */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];
