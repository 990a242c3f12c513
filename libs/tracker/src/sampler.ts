import { DEFAULT_TRACKER_SETTINGS, type PositionInput, type TrackerSettings } from '@fleet/contracts';
import { fastDistanceM } from '@fleet/geo';

/** Below this speed a vehicle counts as stationary: its heading is noise and the heartbeat applies (km/h). */
export const STATIONARY_KMH = 3;
/** Never two kept fixes closer in time than this, whatever the settings (ms). */
export const MIN_SPACING_MS = 1000;

export interface SamplerOptions {
  /** The tracker settings (`GET /api/v1/device/settings`); defaults from @fleet/contracts. */
  settings?: TrackerSettings;
  /** Receives each fix to keep (the app enqueues it). */
  onFix: (fix: PositionInput) => void;
  /** Epoch milliseconds; injected with the timers so tests run on fake timers. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export type Decision =
  'first' | 'distance' | 'heading' | 'interval' | 'heartbeat' | 'inaccurate' | 'too-soon' | 'unchanged';

const KEEP: ReadonlySet<Decision> = new Set(['first', 'distance', 'heading', 'interval', 'heartbeat']);

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
 * `offer(fix)`, in order: dropped if less accurate than `accuracyFilterMeters`; kept if it is the
 * first; dropped if within MIN_SPACING_MS of the last kept fix; kept if it moved
 * `distanceFilterMeters`; while moving (speed ≥ STATIONARY_KMH, or that average since the last kept
 * fix when the speed is unknown), kept if it turned `headingChangeDegrees` or if `timeIntervalSeconds`
 * passed (`chargingIntervalSeconds` while charging: power is not a concern in a cradle); while
 * stationary, kept once `heartbeatSeconds` passed; dropped otherwise.
 *
 * Heartbeat: while `start()`ed, a timer checks that something was kept in the last `heartbeatSeconds`;
 * if not (the OS stops sending updates to a phone that does not move), it emits the last kept
 * coordinates with the current time, speed 0 and `attributes.heartbeat = true`. In the background
 * JavaScript timers may not run: there the OS's deferred updates go through `offer`, whose time
 * rule does the same.
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
    if (fix.accuracy !== undefined && fix.accuracy > s.accuracyFilterMeters) return 'inaccurate';
    const last = this.last;
    if (!last) return 'first';
    const dtMs = tsMs(fix.ts) - tsMs(last.ts);
    if (dtMs < MIN_SPACING_MS) return 'too-soon';
    const distance = fastDistanceM(last, fix);
    if (distance >= s.distanceFilterMeters) return 'distance';
    const speed = fix.speed ?? (distance / (dtMs / 1000)) * 3.6;
    if (speed >= STATIONARY_KMH) {
      if (
        fix.heading !== undefined &&
        last.heading !== undefined &&
        headingDelta(fix.heading, last.heading) >= s.headingChangeDegrees
      )
        return 'heading';
      if (dtMs >= (this.charging ? s.chargingIntervalSeconds : s.timeIntervalSeconds) * 1000) return 'interval';
    }
    if (dtMs >= s.heartbeatSeconds * 1000) return 'heartbeat';
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
