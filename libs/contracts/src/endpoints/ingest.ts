import { z } from 'zod';
import { endpoint, errorResponse as error, commonErrors as common, idParams } from '../endpoint';
import { GpxImportResult, IngestRequest, PositionsAccepted } from '../ingest';

const osmand = (method: 'get' | 'post') =>
  endpoint({
    method,
    path: '/api/v1/osmand',
    summary: 'OsmAnd protocol as Traccar Client sends it (also on the OsmAnd port, at any path)',
    tag: 'ingestion',
    security: 'device-identifier',
    parsedBy: 'handler',
    query: z
      .object({
        id: z.string().optional().describe('the device identifier (required, as `id` or `deviceid`)'),
        deviceid: z.string().optional().describe('the device identifier, when `id` is absent'),
        timestamp: z.string().optional(),
        lat: z.string().optional(),
        lon: z.string().optional(),
        location: z.string().optional(),
        speed: z.string().optional().describe('knots'),
        token: z
          .string()
          .optional()
          .describe(
            'the device token: required when the organization sets osmandTokenRequired (or HTTP Basic password)',
          ),
      })
      .loose(),
    responses: {
      200: { description: 'accepted (empty body, as Traccar answers)' },
      400: error('invalid fix, or unknown device (query form)'),
      401: error(
        'the device token is wrong or belongs to another identifier, or is missing while the organization requires it',
      ),
      404: error('unknown device (JSON form)'),
      403: error('device disabled'),
    },
  });

export const INGEST_ENDPOINTS = {
  osmandQuery: osmand('get'),
  // Older apps post the query's fields as a form; Traccar Client 9+ posts JSON (`device_id`, `location`).
  osmandPost: { ...osmand('post'), bodyContentType: 'application/x-www-form-urlencoded' as const },
  ingestPositions: endpoint({
    method: 'post',
    path: '/api/v1/positions',
    summary: 'Send one position or a batch (up to 1,000); speed in km/h',
    tag: 'ingestion',
    security: 'device',
    parsedBy: 'handler',
    body: IngestRequest,
    responses: {
      202: { description: 'accepted: committed to staging, stored shortly', schema: PositionsAccepted },
      ...common,
      403: error('device disabled, or positions of another vehicle'),
      503: error('database unavailable; nothing accepted, retry later'),
    },
  }),
  ingestOwnTracks: endpoint({
    method: 'post',
    path: '/api/v1/owntracks',
    summary: 'OwnTracks HTTP mode (Basic auth: any user, device token as password)',
    tag: 'ingestion',
    security: 'basic-device',
    parsedBy: 'handler',
    body: z.object({ _type: z.string() }).loose(),
    responses: {
      200: {
        description: 'the organization’s other vehicles, as OwnTracks cards and locations',
        schema: z.array(z.object({ _type: z.string() }).loose()),
      },
      ...common,
    },
  }),
  ingestOverland: endpoint({
    method: 'post',
    path: '/api/v1/overland',
    summary: 'Overland batch of GeoJSON points (bearer device token, or ?token=)',
    tag: 'ingestion',
    security: 'device',
    parsedBy: 'handler',
    body: z.object({ locations: z.array(z.unknown()) }),
    responses: { 200: { description: 'accepted', schema: z.object({ result: z.literal('ok') }) }, ...common },
  }),
  importGpx: endpoint({
    method: 'post',
    path: '/api/v1/vehicles/:id/import',
    summary:
      'Upload a GPX 1.0/1.1 track (streamed): the vehicle’s device token, or an admin/operator of its organization',
    tag: 'ingestion',
    security: 'device-or-user',
    parsedBy: 'handler',
    params: idParams,
    bodyContentType: 'application/gpx+xml',
    responses: {
      202: { description: 'imported', schema: GpxImportResult },
      200: { description: 'nothing to import', schema: GpxImportResult },
      ...common,
      404: error('not this device’s vehicle'),
      413: error('file too large'),
    },
  }),
};
