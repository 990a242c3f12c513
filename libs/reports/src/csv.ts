import type { ReportData, RenderOptions } from './model';
import { tablesOf, type CsvCell } from './tables';

/** The UTF-8 byte order mark, which Excel needs to read a CSV file as UTF-8. */
export const UTF8_BOM = '\uFEFF';

/**
 * One CSV field (RFC 4180): text that a spreadsheet would run as a formula (starting with = + - @,
 * tab or carriage return) gets a leading apostrophe, as OWASP advises against CSV injection; then a
 * field holding a comma, a quote or a line break is quoted, its quotes doubled. Numbers are numbers.
 */
export function csvField(cell: CsvCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
  const text = /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV text: fields separated by commas, records ended by CRLF (RFC 4180). */
export function csvText(rows: CsvCell[][]): string {
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

/**
 * A report as CSV: a header row in the language, then one row per trip, stop, vehicle or event.
 * Times are ISO-8601 with the time zone's offset, distances km, speeds km/h, durations seconds.
 */
export function renderCsv(data: ReportData, options: RenderOptions & { bom?: boolean }): string {
  const { csv } = tablesOf(data, options);
  return (options.bom ? UTF8_BOM : '') + csvText([csv.header, ...csv.rows]);
}
