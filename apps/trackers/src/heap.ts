/**
 * V8 heap settings of the gateway's worker processes, passed by the cluster primary as node arguments.
 *
 * Why: a worker's live heap is small (measured with heap snapshots under bench-trackers: ~20 MB of
 * modules and code, ~4 KB per idle connection, a few MB of frames in flight: 35–50 MB at 1,000
 * connections), but V8 sizes its heap from the machine's memory: on a host with more than 16 GB the
 * old space may reach 4 GB, and with that much room V8 lets the heap grow up to 4× the live size
 * before a full collection (its growing factor falls to 1.3–1.4 only when the limit is 256–512 MB).
 * Under load the frames' short-lived objects promoted to the old space then sat there as garbage:
 * 100–160 MB of heap, RSS 230–290 MB per worker for ~45 MB of live objects. A 512 MB old space keeps
 * full collections close to the live size (peak RSS ~150 MB in the same run) and is still ten times
 * the measured live set; the young generation at 8 MB semi-spaces (V8's default here: 16) costs
 * 16 MB less at the price of more, shorter, scavenges.
 */
export interface WorkerHeap {
  /** `--max-old-space-size` in MB; 0 leaves V8's default. */
  maxOldSpaceMb: number;
  /** `--max-semi-space-size` in MB; 0 leaves V8's default. */
  maxSemiSpaceMb: number;
}

/**
 * The node arguments that apply `heap` to a forked worker: each flag only when the operator has not
 * set it already (in NODE_OPTIONS or on the primary's own command line, which the workers inherit).
 */
export function workerHeapArgs(
  heap: WorkerHeap,
  inherited: { execArgv: readonly string[]; nodeOptions?: string },
): string[] {
  const given = [...inherited.execArgv, ...(inherited.nodeOptions ?? '').split(/\s+/)];
  const has = (flag: string) => given.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
  const args: string[] = [];
  if (heap.maxOldSpaceMb > 0 && !has('--max-old-space-size')) args.push(`--max-old-space-size=${heap.maxOldSpaceMb}`);
  if (heap.maxSemiSpaceMb > 0 && !has('--max-semi-space-size'))
    args.push(`--max-semi-space-size=${heap.maxSemiSpaceMb}`);
  return args;
}
