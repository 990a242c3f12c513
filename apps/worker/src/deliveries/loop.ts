import type { Logger } from '@fleet/logging-json';

export interface LeaseLoopOptions<T> {
  /** Names the loop in its log lines ("webhook", "notification", "report run"). */
  name: string;
  logger: Logger;
  /** Items in flight at once. */
  concurrency: number;
  /** The wait after a claim that found fewer items than free slots. */
  pollMs: number;
  /**
   * Claims at most `limit` due items as leases (SKIP LOCKED, see claimDue): several workers share
   * them and no row lock is held while an item is worked on.
   */
  claim(limit: number): Promise<T[]>;
  /** Works on one claimed item and records its outcome; a throw is logged, the lease then expires. */
  handle(item: T): Promise<void>;
  /** Identifies an item in the log line of a failed `handle`. */
  describe?(item: T): Record<string, unknown>;
}

export interface LeaseLoop {
  /** Claims again now instead of at the end of the poll wait. */
  wake(): void;
  /** Stops claiming and waits for the items in flight. */
  stop(): Promise<void>;
}

/** A wait that ends after `ms`, or at once on `wake()` (a loop's poll wait, cut short by its stop). */
export function wakeableSleep() {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
    wake: () => wake?.(),
  };
}

/**
 * The loop of the worker's outgoing deliveries (webhooks, notifications, scheduled reports): a loop
 * of its own beside the ingestion consumers, so a slow receiver never delays a position. Each claim
 * takes at most the free slots; a full claim claims again at once (more may be due), a short one
 * waits `pollMs` (or a wake); at the cap it waits for a slot to free.
 */
export function startLeaseLoop<T>(o: LeaseLoopOptions<T>): LeaseLoop {
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const { sleep, wake } = wakeableSleep();

  function track(item: T) {
    const job: Promise<void> = o
      .handle(item)
      .catch((err: unknown) => {
        o.logger.warn(`${o.name} bookkeeping failed`, { err, ...o.describe?.(item) });
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
  }

  const loop = (async () => {
    while (!stopped) {
      const free = o.concurrency - inFlight.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const items = await o.claim(free);
          claimed = items.length;
          for (const item of items) track(item);
        } catch (err) {
          o.logger.warn(`${o.name} claim failed`, { err });
        }
      }
      if (stopped) break;
      if (inFlight.size >= o.concurrency) await Promise.race(inFlight);
      else if (claimed < free) await sleep(o.pollMs);
    }
  })();

  return {
    wake,
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      await Promise.all(inFlight);
    },
  };
}
