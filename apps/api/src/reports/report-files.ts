import type { ReportFileQuery, ReportKind } from '@fleet/contracts';
import { renderCsv, renderPdf, reportFileName, type ReportData, type ReportReader } from '@fleet/reports';
import { invalid, notFound } from '../errors';
import { resolvePeriod } from '../tracking/period';
import { detectionOptions, type Tracking } from '../tracking/tracking';

export interface ReportFile {
  body: Buffer | string;
  contentType: string;
  fileName: string;
}

/**
 * The reports of the JSON endpoints as files (PDF, CSV) for one organization: the same detection
 * (through `Tracking`, so the same limits and the same 404 for another organization's vehicle),
 * with the names a person reads, rendered by @fleet/reports in a language and a time zone.
 */
export class ReportFiles {
  private readonly reports: ReportReader;

  constructor(tracking: Tracking) {
    this.reports = tracking.reports;
  }

  async file(org: string, kind: ReportKind, q: ReportFileQuery, format: 'pdf' | 'csv'): Promise<ReportFile> {
    const data = await this.data(org, kind, q, { charts: format === 'pdf' });
    const options = { lang: q.lang, timeZone: q.timeZone };
    const fileName = reportFileName(kind, data.header, { timeZone: q.timeZone, extension: format });
    return format === 'pdf'
      ? { body: await renderPdf(data, options), contentType: 'application/pdf', fileName }
      : {
          body: renderCsv(data, { ...options, bom: q.bom === 'true' }),
          contentType: 'text/csv; charset=utf-8',
          fileName,
        };
  }

  /**
   * What a report file shows: the report of each vehicle, or the events, with the header; with
   * `charts`, the trips and summary reports also carry each vehicle's speed series (the PDF's chart).
   */
  async data(
    org: string,
    kind: ReportKind,
    q: ReportFileQuery,
    { charts = false }: { charts?: boolean } = {},
  ): Promise<ReportData> {
    const period = resolvePeriod(q);
    const ids = q.vehicleIds ? [...new Set(q.vehicleIds.toLowerCase().split(','))] : [];
    if (ids.length === 0 && kind !== 'events')
      throw invalid(`vehicleIds is required for the ${kind} report`, [
        { path: 'vehicleIds', message: 'one or more vehicle ids, comma-separated' },
      ]);
    // Another organization's vehicle (or none) is not found, like on the JSON endpoints.
    const names = await this.reports.vehicleNames(org, ids);
    if (names.size !== ids.length) throw notFound('vehicle');
    return this.reports.data(org, {
      kind,
      vehicleIds: ids,
      period,
      detection: detectionOptions(q),
      eventType: q.type,
      charts,
    });
  }
}
