import { MAX_REPORT_VEHICLES, type ReportFileQuery, type ReportKind } from '@fleet/contracts';
import { renderCsv, renderPdf, reportFileName, type ReportData, type ReportReader } from '@fleet/reports';
import { invalid, notFound } from '../errors';
import type { VehicleScope } from '../groups/scope';
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

  constructor(private readonly tracking: Tracking) {
    this.reports = tracking.reports;
  }

  async file(scope: VehicleScope, kind: ReportKind, q: ReportFileQuery, format: 'pdf' | 'csv'): Promise<ReportFile> {
    const data = await this.data(scope, kind, q, { charts: format === 'pdf' });
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
    callerScope: VehicleScope,
    kind: ReportKind,
    q: ReportFileQuery,
    { charts = false }: { charts?: boolean } = {},
  ): Promise<ReportData> {
    const period = resolvePeriod(q);
    const org = callerScope.org;
    const asked = q.vehicleIds ? [...new Set(q.vehicleIds.toLowerCase().split(','))] : [];
    if (asked.length === 0 && kind !== 'events' && q.groupId === undefined)
      throw invalid(`vehicleIds (or groupId) is required for the ${kind} report`, [
        { path: 'vehicleIds', message: 'one or more vehicle ids, comma-separated' },
      ]);
    // Another organization's vehicle, or one outside the caller's groups, is not found, like on the JSON endpoints.
    if (asked.length && (await this.tracking.vehiclesIn(callerScope, asked)).length !== asked.length)
      throw notFound('vehicle');
    // Then `groupId` (the group and those below it) narrows the caller's vehicles.
    const scope = await this.tracking.narrow(callerScope, q.groupId);
    let ids = asked;
    if (scope.groupIds) {
      const inScope = await this.tracking.vehiclesIn(scope, asked.length ? asked : undefined);
      ids = asked.length ? asked.filter((id) => inScope.includes(id)) : inScope;
    }
    if (ids.length === 0 && (kind !== 'events' || scope.groupIds))
      throw invalid('no vehicles to report on', [
        { path: q.groupId ? 'groupId' : 'vehicleIds', message: 'none of your vehicles is in it' },
      ]);
    if (ids.length > MAX_REPORT_VEHICLES)
      throw invalid(`at most ${MAX_REPORT_VEHICLES} vehicles in one report`, [
        { path: 'groupId', message: `${ids.length} vehicles: choose a smaller group or the vehicles` },
      ]);
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
