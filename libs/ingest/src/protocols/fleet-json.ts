import { IngestRequest, type ErrorDetail, type PositionInput, type PositionsAccepted } from '@fleet/contracts';
import { parseTimestamp, type RawFix } from '../fix';
import type { IngestItem } from '../pipeline';
import { duplicateTimestamps, join, refuse, storableItems, type HttpIngest } from './http';

/**
 * Our own JSON, on `POST /api/v1/positions`: one position, an array, or `{positions: [...]}` (up to
 * 1,000; contracts' IngestRequest), authorised by the device token (bearer). Units are already ours
 * (km/h), so there is nothing to decode; the sender can fix what it sends, so a field storage cannot
 * hold refuses the request (400 naming it) instead of being dropped. The answer counts accepted and
 * duplicate positions and names the staged batch.
 */

/** The positions of a request, and how to name the i-th in an error (`positions.3`, `3`, or none). */
function positionsOf(body: IngestRequest): { list: PositionInput[]; pathOf: (i: number) => string } {
  if (Array.isArray(body)) return { list: body, pathOf: (i) => String(i) };
  if ('positions' in body) return { list: body.positions, pathOf: (i) => `positions.${i}` };
  return { list: [body], pathOf: () => '' };
}

/**
 * Stages the request's positions, all or none. A body that is not an IngestRequest throws the ZodError
 * itself (the API answers it 400 `validation_failed`, "request is not valid", naming each field).
 */
export async function acceptFleetJson(
  ctx: HttpIngest,
  request: { token: string | undefined; body: unknown },
): Promise<PositionsAccepted> {
  const { body } = request;
  const device = await ctx.auth.byToken('json', request.token);
  const parsed = IngestRequest.safeParse(body);
  if (!parsed.success) {
    ctx.pipeline.reject('json', 'invalid', Array.isArray(body) ? body.length : 1);
    throw parsed.error;
  }
  const { list, pathOf } = positionsOf(parsed.data);
  const mismatches: ErrorDetail[] = [];
  const items: IngestItem[] = list.map((p, i) => {
    if (p.vehicle && p.vehicle !== device.vehicleId)
      mismatches.push({ path: join(pathOf(i), 'vehicle'), message: "is not this device token's vehicle" });
    if (p.deviceId && p.deviceId !== device.identifier)
      mismatches.push({ path: join(pathOf(i), 'deviceId'), message: "is not this device token's identifier" });
    const fix: RawFix = {
      ts: parseTimestamp(p.ts),
      lat: p.lat,
      lon: p.lon,
      speedKmh: p.speed,
      heading: p.heading === undefined ? undefined : p.heading % 360,
      altitude: p.altitude,
      accuracy: p.accuracy,
      battery: p.battery,
      valid: p.valid,
      attributes: p.attributes,
    };
    return { device, fix, path: pathOf(i) };
  });
  if (mismatches.length) {
    ctx.pipeline.reject('json', 'unauthorized', list.length);
    throw refuse.forbidden('positions for another vehicle cannot be sent with this token', mismatches);
  }
  const storable = storableItems(ctx, 'json', items, 'reject').items;
  const duplicates = duplicateTimestamps(storable, new Set());
  const { accepted, batchId } = await ctx.pipeline.ingest('json', storable);
  return { accepted: accepted - duplicates, duplicates, batchId };
}
