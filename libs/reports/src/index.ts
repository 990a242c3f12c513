export type { ChartSeries, ReportData, ReportHeader, RenderOptions, VehicleReport } from './model';
export { renderCsv, csvField, UTF8_BOM } from './csv';
export { renderPdf } from './pdf';
export { reportFileName } from './names';
export { ChartSeriesBuilder, CHART_GAP_MS, CHART_MAX_POINTS, type FixColumns } from './series';
export { nextRunAt, previousPeriod, type ScheduleTiming, type SchedulePeriod } from './schedule';
export { ReportReader, type ReportReaderDeps, type ReportDataRequest } from './data/reader';
export { detectPeriod, tripList, stopList, summaryReport, MAX_REPORT_FIXES, type Detection } from './data/detection';
export { readChartSeries } from './data/chart-series';
export { readCompact, decodeBinaryCopy, HISTORY_PLAN_SQL, type CompactTrack } from './data/compact';
export { asAttributes, attributesAt } from './data/attributes';
export { windows, type Period } from './data/period';
export { reportEmailText } from './email';
export {
  MAINTENANCE_STATUS_SQL,
  maintenanceUrgency,
  maintenanceVehicles,
  readMaintenanceStatus,
  roundCounter,
  ruleStatus,
  type MaintenanceStatusRow,
} from './data/maintenance';
