import type { PositionInput } from '@fleet/contracts';
import { fastDistanceM } from '@fleet/geo';
import { DEFAULT_TRACKER_SETTINGS, type TrackerSettings } from './settings';

export interface SamplerOptions {
  settings?: TrackerSettings;
  /** Receives each fix to keep (the app enqueues it). */
  onFix: (fix: PositionInput) => void;
  /** Epoch milliseconds; injected with the timers so tests run on fake timers. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export type Decision = 'first' | 'distance' | 'heading' | 'heartbeat' | 'inaccurate' | 'too-soon' | 'unchanged';

const KEEP: ReadonlySet<Decision> = new Set(['first', 'distance', 'heading', 'heartbeat']);

function tsMs(ts: PositionInput['ts']): number {
  return typeof ts === 'number' ? (ts < 1e11 ? ts * 1000 : ts) : Date.parse(ts);
}

function headingDelta(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

/**
 * Decides which fixes from the OS are worth queueing, and keeps a parked vehicle alive.
 *
 * `offer(fix)`, in order: dropped if less accurate than `maxAccuracyM`; kept if it is the first; dropped
 * if sooner than the minimum interval after the last kept fix; kept if it moved `minDistanceM`, or
 * turned `headingChangeDeg` while moving, or if `heartbeatSeconds` passed; dropped otherwise. While
 * charging the smaller distance and interval apply.
 *
 * Heartbeat: while `start()`ed, a timer checks that something was kept in the last `heartbeatSeconds`;
 * if not (the OS stops sending updates to a phone that does not move), it emits the last kept
 * coordinates with the current time and `attributes.heartbeat = true`. In the background, JavaScript
 * timers may not run: there the OS's deferred updates go through `offer`, whose time rule does the same.
 */
export class Sampler {
  private settings: TrackerSettings;
  private last?: PositionInput;
  private lastKeptAt?: number;
  private charging = false;
  private timer?: unknown;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: SamplerOptions) {
    this.settings = options.settings ?? { ...DEFAULT_TRACKER_SETTINGS };
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** New settings (from the server) apply from the next fix on. */
  configure(settings: TrackerSettings): void {
    this.settings = settings;
    if (this.timer !== undefined) this.schedule();
  }

  setCharging(charging: boolean): void {
    this.charging = charging;
  }

  /** Offers a fix from the OS; returns why it was kept or dropped. Kept fixes go to `onFix`. */
  offer(fix: PositionInput): Decision {
    const decision = this.decide(fix);
    if (KEEP.has(decision)) this.keep(fix);
    return decision;
  }

  private decide(fix: PositionInput): Decision {
    const s = this.settings;
    if (fix.accuracy !== undefined && fix.accuracy > s.maxAccuracyM) return 'inaccurate';
    const last = this.last;
    if (!last) return 'first';
    const dtS = (tsMs(fix.ts) - tsMs(last.ts)) / 1000;
    if (dtS < (this.charging ? s.chargingMinIntervalS : s.minIntervalS)) return 'too-soon';
    if (fastDistanceM(last, fix) >= (this.charging ? s.chargingMinDistanceM : s.minDistanceM)) return 'distance';
    const moving = (fix.speed ?? 0) >= s.stationarySpeedKmh;
    if (
      moving &&
      fix.heading !== undefined &&
      last.heading !== undefined &&
      headingDelta(fix.heading, last.heading) >= s.headingChangeDeg
    )
      return 'heading';
    if (dtS >= s.heartbeatSeconds) return 'heartbeat';
    return 'unchanged';
  }

  private keep(fix: PositionInput): void {
    this.last = fix;
    this.lastKeptAt = this.now();
    this.options.onFix(fix);
    if (this.timer !== undefined) this.schedule();
  }

  /** Starts the heartbeat timer. */
  start(): void {
    this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    const dueIn =
      this.lastKeptAt === undefined
        ? this.settings.heartbeatSeconds * 1000
        : Math.max(0, this.lastKeptAt + this.settings.heartbeatSeconds * 1000 - this.now());
    this.timer = this.setTimer(() => this.beat(), dueIn);
  }

  private beat(): void {
    this.timer = undefined;
    const last = this.last;
    if (
      last &&
      this.lastKeptAt !== undefined &&
      this.now() - this.lastKeptAt >= this.settings.heartbeatSeconds * 1000
    ) {
      // The last known place, stamped now: the vehicle is still there as far as the phone knows.
      const { speed: _speed, heading: _heading, ...place } = last;
      this.keep({
        ...place,
        ts: new Date(this.now()).toISOString(),
        speed: 0,
        attributes: { ...last.attributes, heartbeat: true },
      });
    }
    this.schedule();
  }
}
