export * from './types';
export {
  destination,
  distanceM,
  fastDistanceM,
  initialBearingDeg,
  inverse,
  metresPerDegree,
  normalizeLon,
  pathLengthM,
  type Inverse,
} from './geodesic';
export * from './bbox';
export * from './regions';
export * from './simplify';
export * from './units';
export * from './gpx';
export * from './geojson';
export * from './trips';
export { toEpochMs } from './time';
export { seededRandom } from './random';
