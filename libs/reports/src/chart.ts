import type { ChartSeries } from './model';
import type { Formatter, Strings } from './text';

type Doc = PDFKit.PDFDocument;

const SPEED_COLOR = '#1565c0';
const ALTITUDE_COLOR = '#2e7d32';
const BATTERY_COLOR = '#ef6c00';
const GRID = '#dddddd';
const FRAME = '#999999';
const LABEL = '#555555';
const TICK_SIZE = 7;

const TITLE_H = 16;
const PANEL_LABEL_H = 11;
const SPEED_H = 110;
const SECONDARY_H = 40;
const PANEL_GAP = 6;
const X_LABELS_H = 22;
const X_TITLE_H = 10;
const NO_DATA_H = 14;
/** Room for the y tick labels, left of the plot. */
const GUTTER = 34;
const RIGHT_PAD = 8;
/** A time tick label is at most this wide (`02:00` over `12 sept`). */
const X_LABEL_W = 44;

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
/** Time tick steps, on the wall clock of the report's time zone. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 4 * 1440, 7 * 1440].map((m) => m * MINUTE);

interface Scale {
  min: number;
  max: number;
  step: number;
}

interface Panel {
  label: string;
  color: string;
  values: Array<number | null>;
  scale: Scale;
  height: number;
}

export interface SpeedChart {
  vehicleName: string;
  series: ChartSeries;
  /** The period, ISO-8601: the time axis spans it whole. */
  from: string;
  to: string;
}

const known = (values: Array<number | null> | undefined): number[] =>
  (values ?? []).filter((v): v is number => v !== null && Number.isFinite(v));

/** The panels a series gets: speed, then altitude and battery when the fixes have them. */
function panelsOf(series: ChartSeries, t: Strings): Panel[] {
  const speeds = known(series.speedKmh);
  const altitudes = known(series.altitudeM);
  const batteries = known(series.batteryPct);
  if (!speeds.length && !altitudes.length && !batteries.length) return [];
  const panels: Panel[] = [
    {
      label: t.speedAxis,
      color: SPEED_COLOR,
      values: series.speedKmh,
      scale: niceScale(0, Math.max(10, ...speeds), 5),
      height: SPEED_H,
    },
  ];
  if (altitudes.length)
    panels.push({
      label: t.altitudeAxis,
      color: ALTITUDE_COLOR,
      values: series.altitudeM ?? [],
      scale: niceScale(Math.min(...altitudes), Math.max(...altitudes), 2),
      height: SECONDARY_H,
    });
  if (batteries.length)
    panels.push({
      label: t.batteryAxis,
      color: BATTERY_COLOR,
      values: series.batteryPct ?? [],
      scale: { min: 0, max: 100, step: 50 },
      height: SECONDARY_H,
    });
  return panels;
}

/** How tall a vehicle's chart is drawn (points), so the caller can keep it whole on a page. */
export function chartHeight(series: ChartSeries, t: Strings): number {
  const panels = panelsOf(series, t);
  if (!panels.length) return TITLE_H + NO_DATA_H;
  return (
    TITLE_H +
    panels.reduce((a, p) => a + PANEL_LABEL_H + p.height, 0) +
    PANEL_GAP * (panels.length - 1) +
    X_LABELS_H +
    X_TITLE_H
  );
}

/**
 * A vehicle's speed over the period as vector paths (no raster, no canvas): the speed panel, then
 * altitude and battery panels when the fixes have them, sharing one time axis ticked on the wall
 * clock of the report's time zone. Lines break where the series says the fixes had a gap; a point
 * with no neighbour on its line is drawn as a dot.
 */
export function drawSpeedChart(
  doc: Doc,
  at: { left: number; top: number; width: number },
  chart: SpeedChart,
  ctx: { t: Strings; f: Formatter },
): void {
  const { t, f } = ctx;
  doc.font('bold').fontSize(10).fillColor('black').text(`${t.chartTitle} — ${chart.vehicleName}`, at.left, at.top, {
    width: at.width,
    lineBreak: false,
    ellipsis: true,
  });
  const panels = panelsOf(chart.series, t);
  if (!panels.length) {
    doc
      .font('regular')
      .fontSize(8)
      .fillColor(LABEL)
      .text(t.noPositions, at.left, at.top + TITLE_H, { width: at.width, lineBreak: false });
    doc.fillColor('black');
    return;
  }

  const from = Date.parse(chart.from);
  const to = Date.parse(chart.to);
  const plotLeft = at.left + GUTTER;
  const plotWidth = at.width - GUTTER - RIGHT_PAD;
  const xOf = (ms: number) => plotLeft + ((ms - from) / (to - from)) * plotWidth;
  const ticks = timeTicks(from, to, Math.max(2, Math.floor(plotWidth / (X_LABEL_W + 4))), f);
  const xs = chart.series.t.map(xOf);
  const breaks = new Set(chart.series.breaks);

  let y = at.top + TITLE_H;
  panels.forEach((panel, i) => {
    if (i > 0) y += PANEL_GAP;
    doc.font('regular').fontSize(TICK_SIZE).fillColor(panel.color).text(panel.label, plotLeft, y, {
      width: plotWidth,
      lineBreak: false,
    });
    y += PANEL_LABEL_H;
    const { min, max, step } = panel.scale;
    const yOf = (v: number) => y + panel.height - ((v - min) / (max - min)) * panel.height;
    const decimals = step >= 1 ? 0 : Math.ceil(-Math.log10(step));
    const values = Array.from({ length: Math.round((max - min) / step) + 1 }, (_, k) => min + k * step);

    // Grid: a line per value tick and per time tick.
    doc.lineWidth(0.5).strokeColor(GRID);
    for (const v of values) doc.moveTo(plotLeft, yOf(v)).lineTo(plotLeft + plotWidth, yOf(v));
    for (const tick of ticks) doc.moveTo(xOf(tick.ms), y).lineTo(xOf(tick.ms), y + panel.height);
    doc.stroke();
    doc.fillColor(LABEL).fontSize(TICK_SIZE);
    for (const v of values)
      doc.text(f.number(v, decimals), at.left, yOf(v) - TICK_SIZE / 2 - 1, {
        width: GUTTER - 4,
        align: 'right',
        lineBreak: false,
      });

    line(
      doc,
      { xs, values: panel.values, yOf, breaks, color: panel.color },
      { x: plotLeft, y, w: plotWidth, h: panel.height },
    );
    doc.lineWidth(0.75).strokeColor(FRAME).rect(plotLeft, y, plotWidth, panel.height).stroke();
    y += panel.height;
  });

  // Time tick labels under the last panel (the date under the time where the day changes), then the axis title.
  doc.font('regular').fontSize(TICK_SIZE).fillColor(LABEL);
  for (const tick of ticks) {
    const x = Math.min(Math.max(xOf(tick.ms) - X_LABEL_W / 2, at.left), at.left + at.width - X_LABEL_W);
    doc.text(tick.lines.join('\n'), x, y + 4, {
      width: X_LABEL_W,
      align: 'center',
      lineBreak: true,
      height: X_LABELS_H,
    });
  }
  doc.text(t.timeAxis(f.timeZone), plotLeft, y + X_LABELS_H, { width: plotWidth, align: 'center', lineBreak: false });
  doc.fillColor('black').strokeColor('black').lineWidth(1);
}

/** One measurement as a polyline broken at the series' breaks and at unknown values, clipped to its panel. */
function line(
  doc: Doc,
  s: { xs: number[]; values: Array<number | null>; yOf: (v: number) => number; breaks: Set<number>; color: string },
  box: { x: number; y: number; w: number; h: number },
) {
  doc.save();
  doc.rect(box.x, box.y, box.w, box.h).clip();
  doc.lineWidth(1).strokeColor(s.color).lineJoin('round').lineCap('round');
  const dots: Array<[number, number]> = [];
  let run = 0;
  let last: [number, number] = [0, 0];
  let drawn = false;
  for (let i = 0; i < s.xs.length; i++) {
    const v = s.values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      if (run === 1) dots.push(last);
      run = 0;
      continue;
    }
    const p: [number, number] = [s.xs[i], s.yOf(v)];
    if (run === 0 || s.breaks.has(i)) {
      if (run === 1) dots.push(last);
      doc.moveTo(p[0], p[1]);
      run = 1;
    } else {
      doc.lineTo(p[0], p[1]);
      run++;
    }
    drawn = true;
    last = p;
  }
  if (run === 1) dots.push(last);
  if (drawn) doc.stroke();
  for (const [x, y] of dots) doc.circle(x, y, 1).fill(s.color);
  doc.restore();
}

/** From `min` to `max` in round steps (1, 2 or 5 times a power of ten), at most about `maxTicks` of them. */
export function niceScale(min: number, max: number, maxTicks: number): Scale {
  if (!(max > min)) {
    min -= 5;
    max += 5;
  }
  const raw = (max - min) / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  return { min: Math.floor(min / step) * step, max: Math.ceil(max / step) * step, step };
}

export interface TimeTick {
  ms: number;
  /** `HH:MM`, with the day under it where the day changes; the day alone for steps of days. */
  lines: string[];
}

/**
 * Ticks over [from, to] at round times of the time zone's wall clock (every 3 hours from local
 * midnight, say), the fewest steps that keep to `maxTicks`.
 */
export function timeTicks(from: number, to: number, maxTicks: number, f: Formatter): TimeTick[] {
  const step = TIME_STEPS.find((s) => (to - from) / s <= maxTicks) ?? TIME_STEPS[TIME_STEPS.length - 1];
  const ticks: TimeTick[] = [];
  let previousDay = '';
  // Round on the wall clock ("local milliseconds"), then back to an instant with the offset there.
  for (let local = Math.ceil((from + f.offsetMs(from)) / step) * step; ; local += step) {
    const guess = local - f.offsetMs(local);
    const ms = local - f.offsetMs(guess);
    if (ms > to) break;
    if (ms < from || (ticks.length && ms <= ticks[ticks.length - 1].ms)) continue;
    const day = f.dayAndMonth(ms);
    const lines = step >= DAY ? [day] : day === previousDay ? [f.hourMinute(ms)] : [f.hourMinute(ms), day];
    previousDay = day;
    ticks.push({ ms, lines });
  }
  return ticks;
}
