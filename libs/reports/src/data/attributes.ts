import type { FixAttributes } from '@fleet/contracts';
import type { PoolClient } from 'pg';

/** The stored value as an attributes object: `{}` for NULL (and for anything that is not an object). */
export const asAttributes = (value: unknown): FixAttributes =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as FixAttributes) : {};

/** Fixes matched per query of `attributesAt`: keeps each statement's parameters small. */
const LOOKUP_CHUNK = 5_000;

// One primary-key probe per wanted fix. The compact track rounds timestamps to the millisecond, so
// a fix is found in the half-millisecond around it (the first one, should two fall in it).
const AT_SQL = `
SELECT p.attributes
  FROM unnest($2::float8[]) WITH ORDINALITY AS k(ms, i)
  LEFT JOIN LATERAL (
        SELECT attributes FROM positions
         WHERE vehicle_id = $1
           AND ts >= to_timestamp((k.ms - 0.5) / 1000) AND ts < to_timestamp((k.ms + 0.5) / 1000)
         ORDER BY ts LIMIT 1) p ON true
 ORDER BY k.i`;

/** The attributes of one vehicle's fixes at these times (epoch ms), in the same order. */
export async function attributesAt(
  client: PoolClient,
  vehicleId: string,
  times: ArrayLike<number>,
): Promise<FixAttributes[]> {
  const out: FixAttributes[] = [];
  for (let i = 0; i < times.length; i += LOOKUP_CHUNK) {
    const part = Array.prototype.slice.call(times, i, i + LOOKUP_CHUNK) as number[];
    const { rows } = await client.query<[unknown]>({ text: AT_SQL, values: [vehicleId, part], rowMode: 'array' });
    for (const r of rows) out.push(asAttributes(r[0]));
  }
  return out;
}
