import { mpsToKmh } from '@fleet/geo';
import { headingOf, nonNegative, num, parseTimestamp, speedKmh, type RawFix } from '../fix';
import { identifierProblem, type FieldNames } from '../storable-fix';
import { isObject, percentFromFraction, refuse, refuseIdentifiers, storableItems, type HttpIngest } from './http';

/**
 * Overland (iOS), on `/api/v1/overland`: a batch of GeoJSON Point features, authorised by the device
 * token (bearer, or `?token=`). Bad points are skipped and bad fields dropped, so the app never loops
 * on them; the answer Overland waits for is `{"result": "ok"}`.
 */

/** Error paths in the protocol's own names. */
export const OVERLAND_NAMES: FieldNames = {
  speed: 'properties.speed',
  heading: 'properties.course',
  altitude: 'properties.altitude',
  accuracy: 'properties.horizontal_accuracy',
  battery: 'properties.battery_level',
  attributes: 'properties',
};

const OVERLAND_ATTRIBUTES = [
  'motion',
  'battery_state',
  'wifi',
  'vertical_accuracy',
  'speed_accuracy',
  'activity',
  'pauses',
  'deferred',
  'significant_change',
  'locations_in_payload',
];

/**
 * Overland's batch: `{"locations": [GeoJSON Point features]}` with `properties.timestamp`, `speed`
 * (m/s), `altitude`, `horizontal_accuracy`, `battery_level` (0–1), `course`, `device_id`…
 */
export function decodeOverland(body: unknown): { fixes: Array<{ deviceId?: string; fix: RawFix }> } | undefined {
  if (!isObject(body) || !Array.isArray(body['locations'])) return undefined;
  return {
    fixes: body['locations'].map((feature) => {
      const f = isObject(feature) ? feature : {};
      const geometry = isObject(f['geometry']) ? f['geometry'] : {};
      const coordinates =
        geometry['type'] === 'Point' && Array.isArray(geometry['coordinates']) ? geometry['coordinates'] : [];
      const props = isObject(f['properties']) ? f['properties'] : {};
      const attributes: Record<string, unknown> = {};
      for (const key of OVERLAND_ATTRIBUTES) {
        if (props[key] !== undefined) attributes[key] = props[key];
      }
      const level = num(props['battery_level']);
      return {
        deviceId: typeof props['device_id'] === 'string' ? props['device_id'] : undefined,
        fix: {
          ts: parseTimestamp(props['timestamp']),
          lat: num(coordinates[1]) ?? Number.NaN,
          lon: num(coordinates[0]) ?? Number.NaN,
          speedKmh: speedKmh(props['speed'], mpsToKmh),
          heading: headingOf(num(props['course'])),
          altitude: num(props['altitude']),
          accuracy: nonNegative(num(props['horizontal_accuracy'])),
          battery: percentFromFraction(level),
          attributes,
        },
      };
    }),
  };
}

/** Stages a batch's valid points (the app's `device_id` kept as an attribute) and answers `ok`. */
export async function acceptOverland(
  ctx: HttpIngest,
  request: { token: string | undefined; body: unknown },
): Promise<{ result: 'ok' }> {
  const device = await ctx.auth.byToken('overland', request.token);
  const decoded = decodeOverland(request.body);
  if (!decoded) {
    ctx.pipeline.reject('overland', 'invalid');
    throw refuse.invalid('expected {"locations": [GeoJSON Point features]}', [
      { path: 'locations', message: 'missing or not an array' },
    ]);
  }
  refuseIdentifiers(
    ctx,
    'overland',
    decoded.fixes.map(({ deviceId }, i) => identifierProblem(`locations.${i}.properties.device_id`, deviceId)),
    decoded.fixes.length,
  );
  const items = decoded.fixes.map(({ deviceId, fix }, i) => ({
    device,
    fix: deviceId ? { ...fix, attributes: { ...fix.attributes, device_id: deviceId.slice(0, 64) } } : fix,
    path: `locations.${i}`,
  }));
  if (items.length)
    await ctx.pipeline.ingest('overland', storableItems(ctx, 'overland', items, 'drop', OVERLAND_NAMES).items, {
      partial: true,
    });
  return { result: 'ok' };
}
