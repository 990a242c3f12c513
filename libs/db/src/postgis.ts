import { customType } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';

export interface LatLon {
  lat: number;
  lon: number;
}

/** Decodes the hex EWKB that PostGIS returns for a point. */
export function parseEwkbPoint(hex: string): LatLon {
  const buf = Buffer.from(hex, 'hex');
  const littleEndian = buf.readUInt8(0) === 1;
  const type = littleEndian ? buf.readUInt32LE(1) : buf.readUInt32BE(1);
  const hasSrid = (type & 0x20000000) !== 0;
  if ((type & 0xff) !== 1) throw new Error(`not a point geometry (type ${type & 0xff})`);
  const offset = hasSrid ? 9 : 5;
  const x = littleEndian ? buf.readDoubleLE(offset) : buf.readDoubleBE(offset);
  const y = littleEndian ? buf.readDoubleLE(offset + 8) : buf.readDoubleBE(offset + 8);
  return { lat: y, lon: x };
}

export function pointSql({ lat, lon }: LatLon): SQL {
  return sql`ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326)`;
}

// drizzle-kit would write `geometry(point)` without the SRID; the data type is spelled out instead.
export const point = customType<{ data: LatLon; driverData: string }>({
  dataType: () => 'geometry(Point,4326)',
  fromDriver: (value) => parseEwkbPoint(value),
  toDriver: (value) => pointSql(value) as unknown as string,
});

/** Any polygonal area, kept as hex EWKB; queries read it with ST_AsGeoJSON. */
export const area = customType<{ data: string; driverData: string }>({
  dataType: () => 'geometry(Geometry,4326)',
});
