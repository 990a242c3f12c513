import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { chartHeight, drawSpeedChart } from './chart';
import type { ReportData, RenderOptions } from './model';
import { tablesOf, type PdfColumn } from './tables';
import { Formatter, strings, titleOf } from './text';

// The standard 14 PDF fonts only know WinAnsi: enough for Spanish, not for every vehicle or
// organization name (ő, Ł, Cyrillic…). DejaVu Sans is embedded instead (subset to the glyphs used,
// with a ToUnicode map so the text can be searched and copied).
let fonts: { regular: Buffer; bold: Buffer } | undefined;
function loadFonts() {
  fonts ??= {
    regular: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
    bold: readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
  };
  return fonts;
}

const MARGIN = 40;
const FOOTER_GAP = 28;
const CELL_PAD = 3;
const BODY_SIZE = 8;
const GREY = '#e6e6e6';
const ZEBRA = '#f5f5f5';
const CHART_GAP = 18;

type Doc = PDFKit.PDFDocument;

/**
 * A report as a PDF (A4): a header with the organization, vehicles, period and time zone, the key
 * figures, then the table over as many pages as it takes (its heading repeated on each page), the
 * speed chart of each vehicle whose series the data has, and "page n of m" at the foot of every page.
 */
export function renderPdf(data: ReportData, options: RenderOptions): Promise<Buffer> {
  const { regular, bold } = loadFonts();
  const t = strings(options.lang);
  const f = new Formatter(options.lang, options.timeZone);
  const tables = tablesOf(data, options);
  const title = titleOf(data.kind, options.lang);
  const generatedAt = data.header.generatedAt ?? new Date().toISOString();
  const doc: Doc = new PDFDocument({
    size: 'A4',
    layout: tables.pdf.landscape ? 'landscape' : 'portrait',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_GAP },
    bufferPages: true,
    lang: options.lang,
    info: {
      Title: `${title} — ${data.header.organization}`,
      Author: data.header.organization,
      Creator: 'Fleet',
      CreationDate: new Date(generatedAt),
    },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', regular);
  doc.registerFont('bold', bold);

  const left = MARGIN;
  const width = doc.page.width - 2 * MARGIN;

  // Header.
  doc.font('bold').fontSize(16).text(title, left, MARGIN, { width });
  doc.moveDown(0.4);
  const vehicles = data.header.vehicles.length ? data.header.vehicles.join(', ') : t.allVehicles;
  const lines: Array<[string, string]> = [
    [t.organization, data.header.organization],
    [t.vehicles, vehicles],
    [t.period, `${f.dateTime(data.header.from)} – ${f.dateTime(data.header.to)}`],
    [t.timeZone, options.timeZone],
    [t.generated, f.dateTime(generatedAt)],
  ];
  labelled(doc, lines, { left, width });

  // Key figures.
  doc.moveDown(0.6);
  doc.font('bold').fontSize(11).text(t.totals, left, doc.y, { width });
  doc.moveDown(0.2);
  labelled(doc, tables.totals, { left, width });
  for (const note of tables.notes) {
    doc.moveDown(0.3);
    doc.font('regular').fontSize(BODY_SIZE).fillColor('#555555').text(note, left, doc.y, { width });
    doc.fillColor('black');
  }

  doc.moveDown(0.8);
  if (tables.pdf.rows.length === 0) doc.font('regular').fontSize(10).text(t.none, left, doc.y, { width });
  else table(doc, tables.pdf.columns, tables.pdf.rows, { left, width });

  // A speed chart per vehicle that has its series (trips, summary), each kept whole on a page.
  const charts = data.kind === 'events' || data.kind === 'maintenance' ? [] : data.vehicles;
  for (const { vehicleName, series } of charts) {
    if (!series) continue;
    const height = chartHeight(series, t);
    let top = doc.y + CHART_GAP;
    if (top + height > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      top = doc.page.margins.top;
    }
    drawSpeedChart(
      doc,
      { left, top, width },
      { vehicleName, series, from: data.header.from, to: data.header.to },
      { t, f },
    );
    doc.x = left;
    doc.y = top + height;
  }

  // Footers, once the page count is known.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Text below the bottom margin would make pdfkit open a new page: lift the margin while writing.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('regular')
      .fontSize(BODY_SIZE)
      .fillColor('#555555')
      .text(`${title} · ${data.header.organization}`, left, doc.page.height - MARGIN - 10, {
        width: width / 2,
        lineBreak: false,
        ellipsis: true,
      })
      .text(t.page(i - range.start + 1, range.count), left + width / 2, doc.page.height - MARGIN - 10, {
        width: width / 2,
        align: 'right',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}

/** `Label: value` lines, the labels in bold. */
function labelled(doc: Doc, lines: Array<[string, string]>, at: { left: number; width: number }) {
  for (const [label, value] of lines) {
    doc.font('bold').fontSize(10).text(`${label}: `, at.left, doc.y, { width: at.width, continued: true });
    doc.font('regular').text(value);
  }
}

/**
 * A table that breaks across pages: a row that does not fit in what is left of the page starts the
 * next one, under the column headings drawn again. Cells wrap; a row is as tall as its tallest cell.
 */
function table(doc: Doc, columns: PdfColumn[], rows: string[][], at: { left: number; width: number }) {
  const total = columns.reduce((a, c) => a + c.width, 0);
  const widths = columns.map((c) => (c.width / total) * at.width);
  const xs = widths.map((_, i) => at.left + widths.slice(0, i).reduce((a, b) => a + b, 0));
  const bottom = () => doc.page.height - doc.page.margins.bottom;

  const heightOf = (cells: string[], font: string) => {
    doc.font(font).fontSize(BODY_SIZE);
    return (
      Math.max(...cells.map((text, i) => doc.heightOfString(text || ' ', { width: widths[i] - 2 * CELL_PAD }))) +
      2 * CELL_PAD
    );
  };
  const drawRow = (cells: string[], y: number, h: number, style: { font: string; fill?: string }) => {
    if (style.fill) doc.rect(at.left, y, at.width, h).fill(style.fill);
    doc.fillColor('black').font(style.font).fontSize(BODY_SIZE);
    cells.forEach((text, i) =>
      doc.text(text, xs[i] + CELL_PAD, y + CELL_PAD, {
        width: widths[i] - 2 * CELL_PAD,
        align: columns[i].align ?? 'left',
      }),
    );
  };
  const headings = columns.map((c) => c.title);
  const headingHeight = heightOf(headings, 'bold');
  const drawHeadings = (y: number) => {
    drawRow(headings, y, headingHeight, { font: 'bold', fill: GREY });
    return y + headingHeight;
  };

  let y = doc.y;
  // The headings and at least one row together, or a new page first.
  if (y + headingHeight + heightOf(rows[0], 'regular') > bottom()) {
    doc.addPage();
    y = doc.page.margins.top;
  }
  y = drawHeadings(y);
  rows.forEach((cells, n) => {
    const h = heightOf(cells, 'regular');
    if (y + h > bottom()) {
      doc.addPage();
      y = drawHeadings(doc.page.margins.top);
    }
    drawRow(cells, y, h, { font: 'regular', fill: n % 2 === 1 ? ZEBRA : undefined });
    y += h;
  });
  doc.x = at.left;
  doc.y = y;
}
