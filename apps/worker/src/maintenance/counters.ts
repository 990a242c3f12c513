import { fastDistanceM } from '@fleet/geo';

/**
 * A vehicle's maintenance counters after its newest counted fix (`ts` in epoch ms). Pure rules, the
 * transaction around them is in ./maintenance.ts.
 */
export interface Counters {
  ts: number;
  lat: number;
  lon: number;
  ignition: boolean | null;
  odometerKm: number;
  engineSeconds: number;
  /** The fix whose `odometer` reading set odometerKm last; null: summed distance only. */
  odometerReadingTs: number | null;
}

export interface CountedFix {
  ts: number;
  lat: number;
  lon: number;
  attributes: Record<string, unknown> | null;
}

/** The tracker's odometer in km: the normalised attribute is in metres (libs/ingest attributes.ts). */
export function odometerReadingKm(fix: CountedFix): number | undefined {
  const m = fix.attributes?.['odometer'];
  return typeof m === 'number' && Number.isFinite(m) && m >= 0 ? m / 1000 : undefined;
}

const ignitionOf = (fix: CountedFix): boolean | undefined => {
  const v = fix.attributes?.['ignition'];
  return typeof v === 'boolean' ? v : undefined;
};

/**
 * The counters moved on to `fix`, which must be newer than `c.ts` (the caller skips older ones).
 * Odometer: the tracker's reading when the fix has one (the device's count is the reference, even
 * when it differs from ours), else the previous value plus the geodesic distance from the previous
 * fix. Engine time: the span since the previous fix counts when that fix had ignition on (a fix that
 * says nothing about ignition keeps the last state told).
 */
export function advance(c: Counters | null, fix: CountedFix): Counters {
  const reading = odometerReadingKm(fix);
  const ignition = ignitionOf(fix);
  if (!c)
    return {
      ts: fix.ts,
      lat: fix.lat,
      lon: fix.lon,
      ignition: ignition ?? null,
      odometerKm: reading ?? 0,
      engineSeconds: 0,
      odometerReadingTs: reading === undefined ? null : fix.ts,
    };
  const moved = fastDistanceM(c, fix);
  return {
    ts: fix.ts,
    lat: fix.lat,
    lon: fix.lon,
    ignition: ignition ?? c.ignition,
    odometerKm: reading ?? c.odometerKm + (Number.isFinite(moved) ? moved / 1000 : 0),
    engineSeconds: c.engineSeconds + (c.ignition === true ? (fix.ts - c.ts) / 1000 : 0),
    odometerReadingTs: reading === undefined ? c.odometerReadingTs : fix.ts,
  };
}

/** A rule's distance and engine-time limits, with what its last service recorded. */
export interface UsageRule {
  everyKm: number | null;
  everyEngineHours: number | null;
  notifyBeforeKm: number;
  notifyBeforeEngineHours: number;
  /** Counters at the last service (no record yet: 0, the vehicle's life so far). */
  baseOdometerKm: number;
  baseEngineHours: number;
}

/** Where a rule is due ("due" once the counter reaches it: the limit minus the notice). */
export function dueAt(rule: UsageRule): { km: number | null; engineHours: number | null } {
  return {
    km: rule.everyKm && rule.everyKm > 0 ? rule.baseOdometerKm + rule.everyKm - rule.notifyBeforeKm : null,
    engineHours:
      rule.everyEngineHours && rule.everyEngineHours > 0
        ? rule.baseEngineHours + rule.everyEngineHours - rule.notifyBeforeEngineHours
        : null,
  };
}

/** Which of the rule's usage limits the counters have reached: 'km' first, then 'engine_hours'. */
export function usageDue(
  rule: UsageRule,
  c: Pick<Counters, 'odometerKm' | 'engineSeconds'>,
): 'km' | 'engine_hours' | null {
  const at = dueAt(rule);
  if (at.km !== null && c.odometerKm >= at.km) return 'km';
  if (at.engineHours !== null && c.engineSeconds / 3600 >= at.engineHours) return 'engine_hours';
  return null;
}
