import type { TestVehicle } from './fixtures';

export interface SendResult {
  /** Positions answered 202. */
  accepted: number;
  statuses: Record<number, number>;
  retryAfterSeen: boolean;
}

/**
 * Sends `batches` JSON batches of `perBatch` positions, round-robin over the vehicles, `concurrency`
 * at a time. Timestamps are unique per vehicle, so the expected row count is the accepted count.
 * `onProgress(n)` runs after the n-th answer (to inject a fault mid-run).
 */
export async function sendBatches(options: {
  base: string;
  vehicles: TestVehicle[];
  batches: number;
  perBatch: number;
  concurrency: number;
  startTs: number;
  onProgress?: (done: number) => Promise<void> | void;
}): Promise<SendResult> {
  const result: SendResult = { accepted: 0, statuses: {}, retryAfterSeen: false };
  const seq = new Map<string, number>();
  let next = 0;
  let done = 0;
  const one = async (i: number) => {
    const vehicle = options.vehicles[i % options.vehicles.length];
    const start = seq.get(vehicle.id) ?? 0;
    seq.set(vehicle.id, start + options.perBatch);
    const positions = Array.from({ length: options.perBatch }, (_, k) => ({
      ts: new Date(options.startTs + (start + k) * 1000).toISOString(),
      lat: 40 + ((start + k) % 1000) / 10000,
      lon: -3.7 + (i % 50) / 1000,
      speed: 40,
    }));
    let status = 0;
    try {
      const res = await fetch(`${options.base}/api/v1/positions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${vehicle.token}` },
        body: JSON.stringify({ positions }),
      });
      status = res.status;
      if (res.headers.get('retry-after')) result.retryAfterSeen = true;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    if (status === 202) result.accepted += options.perBatch;
    done += 1;
    await options.onProgress?.(done);
  };
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.batches) await one(next++);
    }),
  );
  return result;
}
