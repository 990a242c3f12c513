export type { ReportData, ReportHeader, RenderOptions, VehicleReport } from './model';
export { renderCsv, csvField, UTF8_BOM } from './csv';
export { renderPdf } from './pdf';
export { reportFileName } from './names';
