import { z } from 'zod';
import { endpoint, errorResponse as error, commonErrors as common } from '../endpoint';
import { MAX_REPORT_EVENTS, MAX_REPORT_VEHICLES, ReportFileParams, ReportFileQuery } from '../reports';
import { MAX_RANGE_DAYS } from '../tracking';

const what = `the trips, stops or summary of up to ${MAX_REPORT_VEHICLES} vehicles (\`vehicleIds\`), or the events (at most ${MAX_REPORT_EVENTS}, of all vehicles when \`vehicleIds\` is absent), over a period (\`from\` inclusive, \`to\` exclusive, at most ${MAX_RANGE_DAYS} days; default the last 24 hours), with times in \`timeZone\` and headings in \`lang\``;
const errors = {
  ...common,
  404: error('no such report kind, or a vehicle not in this organization'),
  429: error('too many history exports and reports running on this server; see Retry-After'),
};

export const REPORTS_ENDPOINTS = {
  reportPdf: endpoint({
    method: 'get',
    path: '/api/v1/reports/:kind.pdf',
    summary: `A report as a PDF file (kind: trips, stops, summary, events): ${what}; a header with the organization, vehicles and period, tables over as many A4 pages as needed and totals`,
    tag: 'reports',
    security: 'user',
    params: ReportFileParams,
    query: ReportFileQuery,
    responses: {
      200: {
        description: 'the PDF, as an attachment',
        contentType: 'application/pdf',
        schema: z.string().describe('PDF 1.7, binary'),
      },
      ...errors,
    },
  }),
  reportCsv: endpoint({
    method: 'get',
    path: '/api/v1/reports/:kind.csv',
    summary: `A report as CSV (RFC 4180, UTF-8, a header row in \`lang\`; kind: trips, stops, summary, events): ${what}. Times are ISO-8601 with the offset of \`timeZone\`, distances in km, speeds in km/h, durations in seconds; text starting with = + - @ gets a leading apostrophe; \`bom=true\` starts it with a byte order mark for Excel`,
    tag: 'reports',
    security: 'user',
    params: ReportFileParams,
    query: ReportFileQuery,
    responses: {
      200: {
        description: 'the CSV, as an attachment',
        contentType: 'text/csv',
        schema: z.string().describe('CSV text'),
      },
      ...errors,
    },
  }),
};
