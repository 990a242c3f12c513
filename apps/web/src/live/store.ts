import type { LatestPositions, LivePosition, TrackingEvent, Vehicle } from '@fleet/contracts';
import { vehicleStatus, type VehicleStatus } from './status';

/** A vehicle's last fix as the UI keeps it (`tsMs` parsed once, not on every render). */
export interface LiveFix extends LivePosition {
  tsMs: number;
}

export interface VehicleInfo {
  id: string;
  name: string;
  plate: string | null;
  type: string;
  deviceIdentifier?: string;
}

export function fromFeature(f: LatestPositions['features'][number]): LiveFix {
  const p = f.properties;
  return {
    vehicleId: p.vehicleId,
    ts: p.ts,
    tsMs: Date.parse(p.ts),
    lon: f.geometry.coordinates[0],
    lat: f.geometry.coordinates[1],
    speedKmh: p.speedKmh,
    heading: p.heading,
    altitude: p.altitude,
    accuracy: p.accuracy,
    battery: p.battery,
    attributes: null,
  };
}

/**
 * Keeps `fix` if it is newer than what is known for its vehicle. Fixes arrive out of order (a
 * resumed stream replays, a snapshot races the stream, a tracker uploads its buffer late): the map
 * must never jump back to an older position.
 */
export function mergeFix(fixes: Map<string, LiveFix>, fix: LiveFix): boolean {
  if (!Number.isFinite(fix.tsMs)) return false;
  const known = fixes.get(fix.vehicleId);
  if (known && known.tsMs >= fix.tsMs) return false;
  fixes.set(fix.vehicleId, fix);
  return true;
}

type Schedule = (fn: () => void, ms: number) => unknown;
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/**
 * The live state of the fleet, outside React: the stream can bring thousands of fixes a second, so
 * they are merged as they come and subscribers (map layer, list) hear about them at most every
 * `flushMs` (twice that past 1,000 vehicles), in one batch.
 */
export class FleetStore {
  readonly fixes = new Map<string, LiveFix>();
  readonly vehicles = new Map<string, VehicleInfo>();
  private pending = false;
  private order: string[] | undefined;
  private version = 0;
  private readonly listeners = new Set<() => void>();
  private readonly schedule: Schedule;
  private readonly flushMs: number;

  constructor(options: { flushMs?: number; schedule?: Schedule } = {}) {
    this.flushMs = options.flushMs ?? 250;
    this.schedule = options.schedule ?? ((fn, ms) => setTimeout(fn, ms));
  }

  setVehicles(list: Iterable<Pick<Vehicle, 'id' | 'name' | 'plate' | 'type'> & { deviceIdentifier?: string }>) {
    this.vehicles.clear();
    for (const v of list) this.vehicles.set(v.id, { ...v });
    this.order = undefined;
    this.changed();
  }

  /** A fix from the stream or a snapshot; older than the known one, it is dropped. */
  push(fix: LiveFix) {
    const isNew = !this.fixes.has(fix.vehicleId);
    if (mergeFix(this.fixes, fix)) {
      if (isNew) this.order = undefined;
      this.changed();
    }
  }

  pushAll(fixes: Iterable<LiveFix>) {
    for (const fix of fixes) this.push(fix);
  }

  /**
   * Every known vehicle id, sorted by name. Cached: names rarely change, and sorting thousands of
   * names on every update would cost more than everything else the list does.
   */
  orderedIds(): readonly string[] {
    if (!this.order) {
      const ids = [...new Set([...this.vehicles.keys(), ...this.fixes.keys()])];
      const names = new Map(ids.map((id) => [id, this.name(id)]));
      this.order = ids.sort((a, b) => collator.compare(names.get(a)!, names.get(b)!));
    }
    return this.order;
  }

  private changed() {
    if (this.pending) return;
    this.pending = true;
    // A large fleet redraws half as often: each redraw costs more, and nobody reads 1,000 markers
    // four times a second.
    this.schedule(() => this.flush(), this.fixes.size > 1000 ? this.flushMs * 2 : this.flushMs);
  }

  /** Tells subscribers now (normally called by the timer). */
  flush() {
    this.pending = false;
    this.version++;
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  getVersion = () => this.version;

  name(vehicleId: string) {
    return this.vehicles.get(vehicleId)?.name ?? vehicleId.slice(0, 8);
  }
}

export interface VehicleRow {
  id: string;
  name: string;
  plate: string | null;
  status: VehicleStatus;
  fix: LiveFix | undefined;
}

/**
 * The side list: every known vehicle (with or without a fix), filtered by a search over name, plate
 * and identifier and by status, in name order.
 */
export function vehicleRows(
  store: Pick<FleetStore, 'fixes' | 'vehicles' | 'orderedIds'>,
  now: number,
  filter: { search?: string; status?: VehicleStatus | 'all' } = {},
): VehicleRow[] {
  const needle = filter.search?.trim().toLowerCase() ?? '';
  const rows: VehicleRow[] = [];
  for (const id of store.orderedIds()) {
    const info = store.vehicles.get(id);
    const fix = store.fixes.get(id);
    const status: VehicleStatus = fix ? vehicleStatus(fix, now) : 'offline';
    if (filter.status && filter.status !== 'all' && status !== filter.status) continue;
    const name = info?.name ?? id.slice(0, 8);
    if (needle) {
      const haystack = `${name} ${info?.plate ?? ''} ${info?.deviceIdentifier ?? ''}`.toLowerCase();
      if (!haystack.includes(needle)) continue;
    }
    rows.push({ id, name, plate: info?.plate ?? null, status, fix });
  }
  return rows;
}

/** `vehicleRows`' filter applied to rows already classified (cheaper than classifying again). */
export function filterRows(
  rows: readonly VehicleRow[],
  filter: { search?: string; status?: VehicleStatus | 'all' },
  store: Pick<FleetStore, 'vehicles'>,
): readonly VehicleRow[] {
  const needle = filter.search?.trim().toLowerCase() ?? '';
  if (!needle && (!filter.status || filter.status === 'all')) return rows;
  return rows.filter((r) => {
    if (filter.status && filter.status !== 'all' && r.status !== filter.status) return false;
    if (!needle) return true;
    const info = store.vehicles.get(r.id);
    return `${r.name} ${info?.plate ?? ''} ${info?.deviceIdentifier ?? ''}`.toLowerCase().includes(needle);
  });
}

export function countByStatus(rows: readonly VehicleRow[]): Record<VehicleStatus, number> {
  const counts: Record<VehicleStatus, number> = { moving: 0, stopped: 0, offline: 0 };
  for (const r of rows) counts[r.status]++;
  return counts;
}

/** Recent tracking events, newest first, capped; subscribers hear each new one (toasts). */
export class EventFeed {
  private items: TrackingEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly listeners = new Set<(event: TrackingEvent) => void>();
  private readonly retractListeners = new Set<(id: string) => void>();

  constructor(private readonly cap = 200) {}

  push(event: TrackingEvent) {
    if (this.seen.has(event.id)) return; // a resumed stream may repeat
    this.seen.add(event.id);
    this.items = [event, ...this.items].slice(0, this.cap);
    for (const listener of this.listeners) listener(event);
  }

  /** An event the server retracted: gone from the feed, and every open list is told. */
  retract(id: string) {
    this.items = this.items.filter((e) => e.id !== id);
    for (const listener of this.retractListeners) listener(id);
  }

  recent(): readonly TrackingEvent[] {
    return this.items;
  }

  subscribe(listener: (event: TrackingEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  onRetract(listener: (id: string) => void): () => void {
    this.retractListeners.add(listener);
    return () => void this.retractListeners.delete(listener);
  }
}
