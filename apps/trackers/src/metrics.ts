import client from 'prom-client';

/** Why a device connection ended (`tracker_connections_closed_total{reason}`). */
export type CloseReason =
  | 'peer'
  | 'idle'
  | 'unknown_device'
  | 'disabled_device'
  | 'too_many'
  | 'decode_error'
  | 'staging_failed'
  | 'shutdown'
  | 'error';

/**
 * The gateway's own series (names fixed: the alerts and dashboards in deployments/ read them). Every
 * worker process has them in its registry; the cluster primary serves their sum.
 */
export function createTrackerMetrics(registry: client.Registry) {
  const registers = [registry];
  return {
    connections: new client.Gauge<'protocol'>({
      name: 'tracker_connections',
      help: 'Device connections open now, by protocol',
      labelNames: ['protocol'],
      registers,
    }),
    opened: new client.Counter<'protocol'>({
      name: 'tracker_connections_opened_total',
      help: 'Device connections accepted, by protocol',
      labelNames: ['protocol'],
      registers,
    }),
    closed: new client.Counter<'protocol' | 'reason'>({
      name: 'tracker_connections_closed_total',
      help: 'Device connections closed, by protocol and reason',
      labelNames: ['protocol', 'reason'],
      registers,
    }),
    frames: new client.Counter<'protocol' | 'type'>({
      name: 'tracker_frames_total',
      help: 'Frames decoded, by protocol and message type (login, positions, heartbeat, commandResult, invalid)',
      labelNames: ['protocol', 'type'],
      registers,
    }),
    decodeErrors: new client.Counter<'protocol' | 'reason'>({
      name: 'tracker_decode_errors_total',
      help: 'Frames that could not be used (invalid) or byte streams that could not be framed, by protocol and reason',
      labelNames: ['protocol', 'reason'],
      registers,
    }),
    ackLatency: new client.Histogram<'protocol'>({
      name: 'tracker_ack_latency_seconds',
      help: 'From a positions frame decoded to its acknowledgement written (staging committed in between)',
      labelNames: ['protocol'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

export type TrackerMetrics = ReturnType<typeof createTrackerMetrics>;

const MAX_REASONS = 32;

/**
 * A decoder's reason for an invalid frame as a bounded label: lower-case words joined by `_`, at most
 * 40 characters, and beyond 32 distinct values per process `other` (a decoder putting numbers in its
 * reasons must not grow the series without end).
 */
export function reasonLabel(reason: string, seen: Set<string>): string {
  const label =
    reason
      .toLowerCase()
      .replace(/[^a-z]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'invalid';
  if (seen.has(label)) return label;
  if (seen.size >= MAX_REASONS) return 'other';
  seen.add(label);
  return label;
}
