import { endpoint, errorResponse as error, commonErrors as common, idParams } from '../endpoint';
import {
  FLEET_GPX_NS,
  HistoryFeatureCollection,
  HistoryQuery,
  LatestPositions,
  LatestQuery,
  MAX_RANGE_DAYS,
  NearestList,
  NearestQuery,
  ReportQuery,
  StopList,
  SummaryReport,
  TripList,
} from '../tracking';

const period = `\`from\` inclusive, \`to\` exclusive, at most ${MAX_RANGE_DAYS} days (default: the last 24 hours)`;
const vehicleErrors = {
  ...common,
  404: error('no such vehicle in this organization'),
  429: error('too many history exports and reports running on this server; see Retry-After'),
};

export const TRACKING_ENDPOINTS = {
  latestPositions: endpoint({
    method: 'get',
    path: '/api/v1/positions/latest',
    summary:
      'Latest fix of every vehicle as GeoJSON (from the hot cache), with its stored `attributes`; filter by bbox and status (moving ≥ 3 km/h, offline after N minutes)',
    tag: 'positions',
    security: 'user',
    query: LatestQuery,
    responses: {
      200: { description: 'one Point Feature per vehicle', schema: LatestPositions, contentType: 'application/json' },
      ...common,
    },
  }),
  nearestVehicles: endpoint({
    method: 'get',
    path: '/api/v1/positions/nearest',
    summary:
      'The vehicles nearest to a point by geodesic distance (latest fixes, with their `attributes`), nearest first',
    tag: 'positions',
    security: 'user',
    query: NearestQuery,
    responses: { 200: { description: 'nearest first', schema: NearestList }, ...common },
  }),
  vehicleHistory: endpoint({
    method: 'get',
    path: '/api/v1/vehicles/:id/history',
    summary: `A vehicle's fixes over a period, streamed: ${period}. Raw, or simplified by \`simplify\` (tolerance, metres) or \`maxPoints\`. GeoJSON FeatureCollection of Points (stored attributes in \`properties.attributes\`), GPX 1.1 (speed/course in Garmin TrackPointExtension, attributes as \`<fleet:attr name="…">\` in namespace ${FLEET_GPX_NS}) or CSV; see docs/history.md`,
    tag: 'positions',
    security: 'user',
    params: idParams,
    query: HistoryQuery,
    responses: {
      200: {
        description:
          'the track; `format=gpx` answers application/gpx+xml and `format=csv` text/csv (columns ts,lat,lon,speed_kmh,heading,altitude,accuracy,battery, then `attributes.<key>` for every attribute key of the period in code-point order; text starting with = + - @ gets a leading apostrophe)',
        contentType: 'application/geo+json',
        schema: HistoryFeatureCollection,
      },
      ...vehicleErrors,
    },
  }),
  vehicleTrips: endpoint({
    method: 'get',
    path: '/api/v1/vehicles/:id/trips',
    summary: `Trips of a vehicle over a period (${period}); detection settings can be overridden`,
    tag: 'reports',
    security: 'user',
    params: idParams,
    query: ReportQuery,
    responses: {
      200: { description: 'trips, oldest first, with the attributes of their first and last fix', schema: TripList },
      ...vehicleErrors,
    },
  }),
  vehicleStops: endpoint({
    method: 'get',
    path: '/api/v1/vehicles/:id/stops',
    summary: `Stops of a vehicle over a period (${period})`,
    tag: 'reports',
    security: 'user',
    params: idParams,
    query: ReportQuery,
    responses: {
      200: { description: 'stops, oldest first, with the attributes of their first and last fix', schema: StopList },
      ...vehicleErrors,
    },
  }),
  vehicleSummary: endpoint({
    method: 'get',
    path: '/api/v1/vehicles/:id/summary',
    summary: `Distance, driving, idle and stopped time, max/avg speed of a vehicle over a period (${period})`,
    tag: 'reports',
    security: 'user',
    params: idParams,
    query: ReportQuery,
    responses: { 200: { description: 'the totals', schema: SummaryReport }, ...vehicleErrors },
  }),
};
