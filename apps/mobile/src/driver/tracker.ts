import { FleetApi } from '@fleet/api-client';
import type { PositionInput, TrackerProvisioning, TrackerSettings } from '@fleet/contracts';
import {
  FixQueue,
  fromLocation,
  ResponseHints,
  Sampler,
  Uploader,
  type DrainResult,
  type LocationLike,
  type QueueStats,
  type SqlDatabase,
  type UploaderStatus,
} from '@fleet/tracker';
import { UNKNOWN_POWER, type Power } from './battery';

export interface DriverTrackerOptions {
  provisioning: TrackerProvisioning;
  settings: TrackerSettings;
  /** The queue's database: `ReopeningDatabase` over expo-sqlite on the phone, sql.js in tests. */
  db: SqlDatabase;
  fetch?: typeof fetch;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Called with settings the server answered (the app stores them for the next launch). */
  onSettings?: (settings: TrackerSettings) => void;
}

export interface Diagnostics {
  queue: QueueStats;
  lastFix?: { at: number; fix: PositionInput };
  upload: UploaderStatus;
  /** The last error outside the uploads (settings, database, location task). */
  lastError?: { at: number; message: string };
}

/**
 * The tracker of one provisioned phone, wired from @fleet/tracker: location → fromLocation → Sampler →
 * FixQueue, and the Uploader draining the queue. One per JavaScript context (the UI and the
 * background task share it while the process lives).
 */
export class DriverTracker {
  readonly api: FleetApi;
  readonly sampler: Sampler;
  private uploader: Uploader;
  private readonly hints = new ResponseHints();
  private readonly now: () => number;
  private settings: TrackerSettings;
  private writes: Promise<void> = Promise.resolve();
  private lastFix?: { at: number; fix: PositionInput };
  private lastError?: { at: number; message: string };
  private lastDrainAt = 0;
  /** A heartbeat was queued since the last drain: it goes out at once, whatever the upload interval. */
  private heartbeatQueued = false;
  private power: Power = UNKNOWN_POWER;

  private constructor(
    readonly queue: FixQueue,
    private readonly options: DriverTrackerOptions,
  ) {
    this.now = options.now ?? (() => Date.now()); // read at each call: fake clocks in tests
    this.settings = options.settings;
    const token = options.provisioning.deviceToken;
    this.api = new FleetApi({
      baseUrl: options.provisioning.serverUrl,
      getToken: () => token,
      // The platform's fetch (as the client's default), wrapped so the uploader can read Retry-After.
      fetch: this.hints.wrap(options.fetch ?? globalThis.fetch.bind(globalThis)),
    });
    this.uploader = this.makeUploader();
    this.sampler = new Sampler({
      settings: options.settings,
      now: this.now,
      setTimer: options.setTimer,
      clearTimer: options.clearTimer,
      onFix: (fix) => {
        this.lastFix = { at: this.now(), fix };
        // Sampler hands fixes synchronously; the writes are chained so `record` can await them.
        this.writes = this.writes.then(() => queue.enqueue(fix)).catch((err) => this.fail(err));
        // The timer's heartbeat (foreground): sent now, not at the next upload interval.
        if (fix.attributes?.['heartbeat'] === true) {
          this.heartbeatQueued = true;
          void this.maybeDrain();
        }
      },
    });
  }

  static async open(options: DriverTrackerOptions): Promise<DriverTracker> {
    return new DriverTracker(await FixQueue.open(options.db), options);
  }

  get currentSettings(): TrackerSettings {
    return this.settings;
  }

  private makeUploader(): Uploader {
    return new Uploader({
      queue: this.queue,
      api: this.api,
      hints: this.hints,
      batchSize: this.settings.uploadBatchSize,
      now: this.now,
    });
  }

  /**
   * The battery as last read (the task reads it at each run, the foreground listens to changes): its
   * level goes into each fix, and on power the sampler keeps fixes every `chargingIntervalSeconds`.
   */
  setPower(power: Partial<Power>): void {
    this.power = {
      battery: power.battery === undefined ? this.power.battery : power.battery,
      charging: power.charging ?? this.power.charging,
    };
    this.sampler.setCharging(this.power.charging);
  }

  get currentPower(): Power {
    return this.power;
  }

  /**
   * The location task's entry: each location through the sampler, with the battery level and charging
   * state (`power`, read by the caller for this batch; the last known otherwise); resolves once kept
   * fixes are written.
   */
  async record(locations: readonly LocationLike[], power: Partial<Power> = {}): Promise<number> {
    this.setPower(power);
    const { battery, charging } = this.power;
    let kept = 0;
    const sorted = [...locations].sort((a, b) => a.timestamp - b.timestamp);
    for (const location of sorted) {
      const fix = fromLocation(location, { battery, attributes: charging ? { charging: true } : undefined });
      if (!fix) continue;
      const decision = this.sampler.offer(fix);
      // The OS's fix kept by the heartbeat rule (the background path): the caller's maybeDrain sends it.
      if (decision === 'heartbeat') this.heartbeatQueued = true;
      if (decision !== 'inaccurate' && decision !== 'too-soon' && decision !== 'unchanged') kept++;
    }
    await this.writes;
    return kept;
  }

  /** Waits for fixes handed by the sampler (heartbeats included) to be in the queue. */
  flush(): Promise<void> {
    return this.writes;
  }

  /**
   * Drains when the upload interval has passed since the last drain, a heartbeat was queued since
   * (or `force`). A heartbeat does not wait for the interval: the server reports a vehicle offline
   * when its latest stored fix is DEVICE_OFFLINE_MINUTES old, and the API keeps only
   * `heartbeatSeconds` below that, not `heartbeatSeconds + uploadIntervalSeconds` (an admin may set
   * uploads an hour apart).
   */
  async maybeDrain(options: { until?: number; force?: boolean } = {}): Promise<DrainResult | null> {
    if (
      !options.force &&
      !this.heartbeatQueued &&
      this.now() - this.lastDrainAt < this.settings.uploadIntervalSeconds * 1000
    )
      return null;
    this.lastDrainAt = this.now();
    this.heartbeatQueued = false;
    await this.writes;
    try {
      return await this.uploader.drain({ until: options.until });
    } catch (err) {
      this.fail(err);
      return null;
    }
  }

  /** Fetches `GET /api/v1/device/settings` and applies it at once (no app update needed). */
  async refreshSettings(): Promise<TrackerSettings | null> {
    try {
      const answer = await this.api.getDeviceSettings();
      this.apply(answer.tracker);
      this.options.onSettings?.(answer.tracker);
      return answer.tracker;
    } catch (err) {
      this.fail(err);
      return null;
    }
  }

  apply(settings: TrackerSettings): void {
    const batchChanged = settings.uploadBatchSize !== this.settings.uploadBatchSize;
    this.settings = settings;
    this.sampler.configure(settings);
    if (batchChanged) {
      // The uploader's batch size is fixed at construction: a new one, keeping what diagnostics show.
      const status = this.uploader.status;
      this.uploader.stop();
      this.uploader = this.makeUploader();
      Object.assign(this.uploader.status, status);
    }
  }

  async diagnostics(): Promise<Diagnostics> {
    return {
      queue: await this.queue.stats(),
      lastFix: this.lastFix,
      upload: { ...this.uploader.status },
      lastError: this.lastError,
    };
  }

  stop(): void {
    this.sampler.stop();
    this.uploader.stop();
  }

  /** Ends a drain in progress after its request in flight (iOS ending a background run). */
  stopUploads(): void {
    this.uploader.stop();
  }

  /** Records an error for the diagnostics screen (the location task's, the settings fetch's…). */
  noteError(message: string): void {
    this.lastError = { at: this.now(), message };
  }

  private fail(err: unknown): void {
    this.noteError(err instanceof Error ? err.message : String(err));
  }
}
