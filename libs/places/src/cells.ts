/** Grid cells of the geocoder's cache: 0.001° (111 m of latitude; 85 m of longitude at 40°). */
export const CELL_SCALE = 1000;

export interface Cell {
  latCell: number;
  lonCell: number;
}

export function cellOf(lat: number, lon: number): Cell {
  const latCell = Math.round(lat * CELL_SCALE);
  let lonCell = Math.round(lon * CELL_SCALE);
  // 180° and -180° are one meridian.
  if (lonCell >= 180 * CELL_SCALE) lonCell -= 360 * CELL_SCALE;
  if (lonCell < -180 * CELL_SCALE) lonCell += 360 * CELL_SCALE;
  return { latCell, lonCell };
}

export const cellKey = (c: Cell) => `${c.latCell}:${c.lonCell}`;

/** The point the service is asked about for a cell: its centre, so one answer stands for the cell. */
export const cellCentre = (c: Cell) => ({ lat: c.latCell / CELL_SCALE, lon: c.lonCell / CELL_SCALE });
