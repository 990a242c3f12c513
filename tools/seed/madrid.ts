/**
 * A small street network of central Madrid, as polylines of [lat, lon] (approximate coordinates of
 * real avenues, typed in; no network needed). Demo vehicles drive along these.
 */
export const STREETS: Record<string, Array<[number, number]>> = {
  castellana: [
    [40.4254, -3.6903],
    [40.4296, -3.6902],
    [40.4334, -3.6902],
    [40.4381, -3.6909],
    [40.4456, -3.6917],
    [40.4497, -3.6905],
    [40.453, -3.6883],
    [40.4589, -3.6894],
    [40.4631, -3.6893],
    [40.4669, -3.689],
  ],
  granVia: [
    [40.4233, -3.7122],
    [40.4221, -3.7095],
    [40.4207, -3.7071],
    [40.42, -3.7058],
    [40.4197, -3.7016],
    [40.4187, -3.6975],
  ],
  alcala: [
    [40.4169, -3.7035],
    [40.4178, -3.6998],
    [40.4187, -3.6975],
    [40.4193, -3.6931],
    [40.42, -3.6887],
    [40.4235, -3.6795],
    [40.4258, -3.6748],
    [40.4283, -3.6686],
    [40.4312, -3.6634],
  ],
  prado: [
    [40.4193, -3.6931],
    [40.4172, -3.6937],
    [40.4153, -3.6942],
    [40.4115, -3.6929],
    [40.4075, -3.6916],
  ],
  princesa: [
    [40.4233, -3.7122],
    [40.4262, -3.7137],
    [40.4301, -3.7157],
    [40.4325, -3.7174],
    [40.4351, -3.719],
  ],
  bravoMurillo: [
    [40.447, -3.7036],
    [40.4518, -3.7025],
    [40.4566, -3.7004],
    [40.4605, -3.6983],
    [40.4641, -3.6941],
    [40.4669, -3.689],
  ],
  serrano: [
    [40.42, -3.6887],
    [40.4252, -3.6881],
    [40.431, -3.6875],
    [40.4358, -3.6868],
    [40.4405, -3.686],
  ],
  raimundo: [
    [40.4456, -3.6917],
    [40.4461, -3.6973],
    [40.4466, -3.7004],
    [40.447, -3.7036],
  ],
  genova: [
    [40.4254, -3.6903],
    [40.4248, -3.6949],
    [40.4243, -3.6985],
    [40.4262, -3.7022],
  ],
};

/** Routes: streets driven one after the other (reversed when marked with a leading `-`). */
export const ROUTES: string[][] = [
  ['castellana', '-castellana'],
  ['granVia', 'alcala', '-alcala', '-granVia'],
  ['prado', '-prado', 'serrano', '-serrano'],
  ['princesa', '-princesa', 'granVia', '-granVia'],
  ['bravoMurillo', '-raimundo', 'castellana', '-castellana', 'raimundo', '-bravoMurillo'],
  ['-castellana', 'genova', '-genova', 'castellana'],
];

export function routePolyline(route: string[]): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (const part of route) {
    const reversed = part.startsWith('-');
    const street = STREETS[reversed ? part.slice(1) : part];
    if (!street) throw new Error(`unknown street ${part}`);
    const ordered = reversed ? [...street].reverse() : street;
    for (const p of ordered) {
      const last = points[points.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) points.push(p);
    }
  }
  return points;
}

/** Geofences of the demo organization. */
export const GEOFENCES = [
  {
    name: 'Depot Norte',
    kind: 'polygon' as const,
    ring: [
      [40.4655, -3.6915],
      [40.4685, -3.6915],
      [40.4685, -3.6865],
      [40.4655, -3.6865],
      [40.4655, -3.6915],
    ],
  },
  {
    name: 'Centro (Sol)',
    kind: 'polygon' as const,
    ring: [
      [40.4155, -3.7065],
      [40.4185, -3.7065],
      [40.4185, -3.7005],
      [40.4155, -3.7005],
      [40.4155, -3.7065],
    ],
  },
  { name: 'Atocha', kind: 'circle' as const, center: [40.4075, -3.6916] as [number, number], radiusM: 250 },
];
