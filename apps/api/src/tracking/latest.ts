import {
  vehicleStatus,
  type LatestPositions,
  type LatestProperties,
  type LatestQuery,
  type LivePosition,
  type VehicleStatus,
} from '@fleet/contracts';
import { schema, type Database } from '@fleet/db';
import { bboxContains, type BBox } from '@fleet/geo';
import { readLatest, warmLatest, type VehicleStates } from '@fleet/live';
import type { Logger } from '@fleet/logging-json';
import type { Redis } from '@fleet/runtime';
import { eq } from 'drizzle-orm';
import { asAttributes } from '@fleet/reports';

/** The order people expect: case-insensitive, "Van 2" before "Van 10". */
const byName = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export interface VehicleName {
  name: string;
  /** Position in the organization's vehicles sorted by name: sorting a thousand features by rank is free. */
  rank: number;
}

interface NameEntry {
  names: Map<string, VehicleName>;
  loadedAt: number;
}

/**
 * Vehicle names per organization, kept in memory for `ttlMs`: the latest positions come from Redis
 * and a join to `vehicles` on every request would cost more than the rest of the answer. A vehicle
 * the list does not know yet (just created) triggers a reload, at most once per `minReloadMs`; a
 * vehicle still unknown after a fresh load was deleted, and is left out.
 */
export class VehicleNames {
  private readonly entries = new Map<string, NameEntry>();
  private readonly loading = new Map<string, Promise<NameEntry>>();

  constructor(
    private readonly db: Database,
    private readonly options: { ttlMs: number; minReloadMs: number; maxOrganizations: number } = {
      ttlMs: 30_000,
      minReloadMs: 2_000,
      maxOrganizations: 10_000,
    },
  ) {}

  async of(org: string, ids: Iterable<string>): Promise<Map<string, VehicleName>> {
    const now = Date.now();
    let entry = this.entries.get(org);
    if (!entry || now - entry.loadedAt > this.options.ttlMs) entry = await this.load(org);
    if (now - entry.loadedAt > this.options.minReloadMs) {
      for (const id of ids) {
        if (!entry.names.has(id)) {
          entry = await this.load(org);
          break;
        }
      }
    }
    return entry.names;
  }

  private load(org: string): Promise<NameEntry> {
    let pending = this.loading.get(org);
    if (!pending) {
      pending = (async () => {
        const { vehicles } = schema;
        const rows = await this.db
          .select({ id: vehicles.id, name: vehicles.name })
          .from(vehicles)
          .where(eq(vehicles.organizationId, org));
        rows.sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
        const entry = { names: new Map(rows.map((r, rank) => [r.id, { name: r.name, rank }])), loadedAt: Date.now() };
        if (this.entries.size >= this.options.maxOrganizations) this.entries.clear();
        this.entries.set(org, entry);
        return entry;
      })().finally(() => this.loading.delete(org));
      this.loading.set(org, pending);
    }
    return pending;
  }
}

/**
 * The latest fix of every vehicle of an organization, from the Redis hot cache the worker keeps.
 * A cold cache (Redis restarted, never warmed) is rebuilt from vehicle_state by the first reader;
 * with Redis away, PostgreSQL answers directly, so the live map never goes blank.
 */
export class LatestPositionsQuery {
  private readonly names: VehicleNames;
  private readonly warming = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: { states: VehicleStates; redis: Redis; logger: Logger },
    names?: VehicleNames,
  ) {
    this.names = names ?? new VehicleNames(deps.states.db);
  }

  /** `only`: the vehicles the caller may see, when limited to vehicle groups. */
  async latest(org: string, q: LatestQuery, only?: ReadonlySet<string>): Promise<LatestPositions> {
    const all = await this.positions(org);
    const positions = only ? all.filter((p) => only.has(p.vehicleId)) : all;
    const names = await this.names.of(
      org,
      positions.map((p) => p.vehicleId),
    );
    const now = Date.now();
    const offlineAfterMs = q.offlineAfterMinutes * 60_000;
    const statuses = q.status ? new Set(q.status.split(',') as VehicleStatus[]) : undefined;
    const bbox = q.bbox ? (q.bbox.split(',').map(Number) as BBox) : undefined;
    const features: Array<LatestPositions['features'][number] & { rank: number }> = [];
    for (const p of positions) {
      const known = names.get(p.vehicleId);
      if (known === undefined) continue; // deleted, or not this organization's
      const { name, rank } = known;
      const tsMs = Date.parse(p.ts);
      const status = vehicleStatus({ tsMs, speedKmh: p.speedKmh }, now, offlineAfterMs);
      if (statuses && !statuses.has(status)) continue;
      if (bbox && !bboxContains(bbox, p)) continue;
      const properties: LatestProperties = {
        vehicleId: p.vehicleId,
        name,
        ts: p.ts,
        speedKmh: p.speedKmh,
        heading: p.heading,
        altitude: p.altitude,
        accuracy: p.accuracy,
        battery: p.battery,
        attributes: asAttributes(p.attributes),
        status,
        ageSeconds: Math.max(0, Math.round((now - tsMs) / 1000)),
      };
      features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties, rank });
    }
    features.sort((a, b) => a.rank - b.rank);
    return {
      type: 'FeatureCollection',
      features: features.map(({ type, geometry, properties }) => ({ type, geometry, properties })),
    };
  }

  private async positions(org: string): Promise<LivePosition[]> {
    const { states, redis, logger } = this.deps;
    if (redis.status !== 'ready') return states.ofOrganization(org);
    try {
      const cached = await readLatest(redis, org);
      if (cached) return cached;
      // Cold: one rebuild per organization at a time, however many requests are waiting for it.
      let warm = this.warming.get(org);
      if (!warm) {
        warm = warmLatest(states, redis, org).finally(() => this.warming.delete(org));
        this.warming.set(org, warm);
      }
      await warm;
      return (await readLatest(redis, org)) ?? (await states.ofOrganization(org));
    } catch (err) {
      // PostgreSQL is the source of truth: if it fails too, that error is the answer (503).
      logger.warn('latest positions: hot cache unavailable, reading PostgreSQL', { err });
      return states.ofOrganization(org);
    }
  }
}
