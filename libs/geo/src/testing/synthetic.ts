import { destination } from '../geodesic';
import type { LatLon } from '../types';
import type { MotionFix } from '../trips';
import { seededRandom } from '../random';

export interface Fix extends MotionFix {
  ts: number;
}

/**
 * Writes a vehicle's day second by second with the errors real trackers have: GPS noise while
 * driving, wandering fixes while parked, excursions, silences. Positions follow geodesics, so the
 * truth (distances, times) is known exactly while the fixes are not.
 */
export class DayBuilder {
  readonly fixes: Fix[] = [];
  /** The true distance travelled when each fix was taken: the known answer for trip distances. */
  readonly odometer: number[] = [];
  private travelled = 0;
  private readonly random: () => number;
  private here: LatLon;
  private bearing = 90;
  t: number;

  constructor(options: { start: LatLon; t0: number; seed: number }) {
    this.here = options.start;
    this.t = options.t0;
    this.random = seededRandom(options.seed);
  }

  get position(): LatLon {
    return this.here;
  }

  /** Normally distributed noise (Box–Muller) with standard deviation `sigma`. */
  private gauss(sigma: number): number {
    const u = 1 - this.random();
    const v = this.random();
    return sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  // GPS error while driving drifts slowly (receivers filter it), so it is modelled as a first-order
  // autoregressive offset; parked fixes get independent noise on top, the harsher case for stops.
  private drift = { x: 0, y: 0 };

  private emit(at: LatLon, whiteSigmaM: number, extra: Partial<Fix> = {}): void {
    const rho = 0.95;
    const driftSigmaM = 3;
    const innovation = driftSigmaM * Math.sqrt(1 - rho * rho);
    this.drift = { x: rho * this.drift.x + this.gauss(innovation), y: rho * this.drift.y + this.gauss(innovation) };
    const dx = this.drift.x + this.gauss(whiteSigmaM);
    const dy = this.drift.y + this.gauss(whiteSigmaM);
    const noisy = destination(at, (Math.atan2(dx, dy) * 180) / Math.PI, Math.hypot(dx, dy));
    this.fixes.push({ lat: noisy.lat, lon: noisy.lon, ts: this.t, ...extra });
    this.odometer.push(this.travelled);
  }

  /** Drives `distanceM` at `speedKmh`, turning gently, one fix every `everyS`, 3 m of drifting error. */
  drive(
    distanceM: number,
    speedKmh: number,
    options: { everyS?: number; turnDeg?: number; sigmaM?: number; reportSpeed?: boolean } = {},
  ) {
    const every = options.everyS ?? 1;
    const step = (speedKmh / 3.6) * every;
    let done = 0;
    while (done + step <= distanceM) {
      this.bearing += (this.random() - 0.5) * (options.turnDeg ?? 4);
      this.here = destination(this.here, this.bearing, step);
      done += step;
      this.travelled += step;
      this.t += every * 1000;
      this.emit(this.here, options.sigmaM ?? 0.5, options.reportSpeed ? { speedKmh } : {});
    }
    return this;
  }

  /** Stands still for `seconds`, fixes every `everyS` wandering with `sigmaM` of noise. */
  park(
    seconds: number,
    options: { everyS?: number; sigmaM?: number; excursions?: number; reportSpeed?: boolean } = {},
  ) {
    const every = options.everyS ?? 1;
    const n = Math.floor(seconds / every);
    const excursionAt = new Set<number>();
    for (let e = 0; e < (options.excursions ?? 0); e++) excursionAt.add(Math.floor(this.random() * n));
    let excursionLeft = 0;
    let offset = this.here;
    for (let i = 0; i < n; i++) {
      this.t += every * 1000;
      if (excursionAt.has(i)) {
        excursionLeft = Math.ceil((10 + this.random() * 20) / every);
        offset = destination(this.here, this.random() * 360, 90 + this.random() * 70);
      }
      if (excursionLeft > 0) {
        // Multipath in a street canyon: fixes 90–160 m off for 10–30 s, then back.
        excursionLeft--;
        this.emit(offset, 5, options.reportSpeed ? { speedKmh: 0 } : {});
      } else {
        this.emit(this.here, options.sigmaM ?? 12, options.reportSpeed ? { speedKmh: 0 } : {});
      }
    }
    return this;
  }

  /** Changes heading by `degrees` (180 turns back). */
  turn(degrees: number) {
    this.bearing += degrees;
    return this;
  }

  /** No fixes for `seconds` while the vehicle covers `distanceM` (0 for parked), then one fix. */
  silence(seconds: number, distanceM = 0) {
    if (distanceM > 0) this.here = destination(this.here, this.bearing, distanceM);
    this.travelled += distanceM;
    this.t += seconds * 1000;
    this.emit(this.here, 3);
    return this;
  }
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
