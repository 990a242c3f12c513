import { columnsToPositions, decodeBatch, type NormalizedPosition } from '@fleet/queue-replay';
import pg from 'pg';

export interface TrackerVehicle {
  id: string;
  organizationId: string;
  /** The device identifier: the tracker's IMEI. */
  imei: string;
}

/** An organization with one vehicle per IMEI (device identifier = IMEI, as trackers are registered). */
export async function createTrackerFleet(
  url: string,
  options: { slug: string; imeis: string[]; disabled?: string[] },
): Promise<TrackerVehicle[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const org = await client.query<{ id: string }>(
      'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
      [options.slug],
    );
    const organizationId = org.rows[0].id;
    const vehicles: TrackerVehicle[] = [];
    for (const imei of options.imeis) {
      const res = await client.query<{ id: string }>(
        `INSERT INTO vehicles (organization_id, name, device_identifier, device_disabled_at)
         VALUES ($1, $2, $2, $3) RETURNING id`,
        [organizationId, imei, options.disabled?.includes(imei) ? new Date() : null],
      );
      vehicles.push({ id: res.rows[0].id, organizationId, imei });
    }
    return vehicles;
  } finally {
    await client.end();
  }
}

/** The positions staged for a vehicle under a protocol, in staging order. */
export async function stagedPositions(url: string, vehicleId: string, protocol: string): Promise<NormalizedPosition[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<{ payload: string }>(
      'SELECT payload::text AS payload FROM ingest_staging WHERE protocol = $1 ORDER BY id',
      [protocol],
    );
    return res.rows
      .flatMap((row) => columnsToPositions(decodeBatch(row.payload)))
      .filter((p) => p.vehicleId === vehicleId);
  } finally {
    await client.end();
  }
}
