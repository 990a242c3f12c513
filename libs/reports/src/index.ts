export type { ChartSeries, ReportData, ReportHeader, RenderOptions, VehicleReport } from './model';
export { renderCsv, csvField, UTF8_BOM } from './csv';
export { renderPdf } from './pdf';
export { reportFileName } from './names';
export { ChartSeriesBuilder, CHART_GAP_MS, CHART_MAX_POINTS, type FixColumns } from './series';
export { nextRunAt, previousPeriod, type ScheduleTiming, type SchedulePeriod } from './schedule';
