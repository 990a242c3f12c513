import type { EventDetail, TripItem } from '@fleet/contracts';
import {
  CHART_MAX_POINTS,
  ChartSeriesBuilder,
  csvField,
  renderCsv,
  renderPdf,
  reportFileName,
  type ChartSeries,
  type ReportData,
} from './index';
import { countPixels, pagePixels, pngSize, readPdf, wordBoxes } from './testing';

const header = {
  organization: 'Transportes Peñalara',
  from: '2026-03-01T23:00:00.000Z',
  to: '2026-03-02T23:00:00.000Z',
  vehicles: ['Camión Ñandú'],
  generatedAt: '2026-03-03T07:30:00.000Z',
};

const trip = (startMs: number, over: Partial<TripItem> = {}): TripItem => ({
  startTime: new Date(startMs).toISOString(),
  endTime: new Date(startMs + 1_200_000).toISOString(),
  durationS: 1200,
  distanceM: 12_003.4,
  maxSpeedKmh: 36.04,
  avgSpeedKmh: 36.01,
  idleS: 0,
  start: { lat: 40.4, lon: -3.7 },
  end: { lat: 40.4, lon: -3.558596 },
  startAttributes: {},
  endAttributes: {},
  ...over,
});

const basis = { vehicleId: '00000000-0000-4000-8000-000000000001', from: header.from, to: header.to, fixes: 7800 };
const trips = (items: TripItem[], vehicleName = 'Camión Ñandú'): ReportData => ({
  kind: 'trips',
  header,
  vehicles: [{ vehicleName, report: { ...basis, sampledEvery: 1, items } }],
});

describe('CSV', () => {
  it('quotes per RFC 4180 and guards text a spreadsheet would run as a formula', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+34 600')).toBe("'+34 600");
    expect(csvField('-x')).toBe("'-x");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    // Numbers stay numbers, negative ones included.
    expect(csvField(-3.7)).toBe('-3.7');
    expect(csvField(null)).toBe('');
  });

  it('writes trips with times in the time zone, km and km/h, a header in the language, CRLF', () => {
    const data = trips([trip(Date.parse('2026-03-02T08:10:00Z'))], '=Camión, "Ñandú"');
    expect(renderCsv(data, { lang: 'en', timeZone: 'Europe/Madrid' })).toBe(
      'Vehicle,Start,End,Duration (s),Distance (km),Max speed (km/h),Avg speed (km/h),Idle (s),Start latitude,Start longitude,End latitude,End longitude,Start place,End place,Driver\r\n' +
        `"'=Camión, ""Ñandú""",2026-03-02T09:10:00+01:00,2026-03-02T09:30:00+01:00,1200,12.003,36,36,0,40.4,-3.7,40.4,-3.558596,,,\r\n`,
    );
    const es = renderCsv(data, { lang: 'es', timeZone: 'America/Mexico_City', bom: true });
    expect(es.startsWith('\uFEFFVehículo,Inicio,Fin,Duración (s),Distancia (km),Velocidad máx. (km/h)')).toBe(true);
    expect(es).toContain(',2026-03-02T02:10:00-06:00,2026-03-02T02:30:00-06:00,');
  });

  it('shows the driver of each trip in the CSV and, when someone drove, a driver column in the PDF', async () => {
    const ana = { id: '00000000-0000-4000-8000-0000000000a1', name: 'Ana Pérez' };
    const data = trips([
      trip(Date.parse('2026-03-02T08:10:00Z'), { driver: ana }),
      trip(Date.parse('2026-03-02T10:10:00Z'), { driver: null }),
    ]);
    const lines = renderCsv(data, { lang: 'es', timeZone: 'UTC' }).split('\r\n');
    expect(lines[0].endsWith(',Lugar de inicio,Lugar de fin,Conductor')).toBe(true);
    expect(lines[1].endsWith(',Ana Pérez')).toBe(true);
    expect(lines[2].endsWith(',,')).toBe(true);
    const [page] = readPdf(await renderPdf(data, { lang: 'es', timeZone: 'UTC' })).pages;
    expect(page).toContain('Conductor');
    expect(page).toContain('Ana Pérez');
    const plain = trips([trip(Date.parse('2026-03-02T08:10:00Z'))]);
    const [without] = readPdf(await renderPdf(plain, { lang: 'es', timeZone: 'UTC' })).pages;
    expect(without).not.toContain('Conductor');
  });

  it('names the file after the kind and the days of the period in the time zone', () => {
    expect(reportFileName('trips', header, { timeZone: 'Europe/Madrid', extension: 'pdf' })).toBe(
      'trips_2026-03-02_2026-03-03.pdf',
    );
    expect(reportFileName('events', header, { timeZone: 'UTC', extension: 'csv' })).toBe(
      'events_2026-03-01_2026-03-02.csv',
    );
  });
});

describe('PDF (rendered by pdftoppm, read by pdftotext)', () => {
  it('writes a Spanish trips report with its accents, header, totals and local times', async () => {
    const data = trips([trip(Date.parse('2026-03-02T08:10:00Z')), trip(Date.parse('2026-03-02T10:00:00Z'))]);
    const pdf = await renderPdf(data, { lang: 'es', timeZone: 'Europe/Madrid' });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { pages, pngs } = readPdf(pdf);
    expect(pages).toHaveLength(1);
    // A4 (595 × 842 pt) at 50 dpi.
    expect(pngSize(pngs[0]).height).toBe(585);
    expect(Math.abs(pngSize(pngs[0]).width - 413)).toBeLessThanOrEqual(1);
    const text = pages[0].replace(/[ \t]+/g, ' ');
    for (const line of [
      'Trayectos',
      'Organización: Transportes Peñalara',
      'Vehículos: Camión Ñandú',
      'Periodo: 02/03/2026 00:00 – 03/03/2026 00:00',
      'Zona horaria: Europe/Madrid',
      'Generado: 03/03/2026 08:30',
      'Trayectos: 2',
      'Distancia: 24,0 km',
      'Duración: 0:40:00',
      'Velocidad máx.: 36 km/h',
      'Camión Ñandú 02/03/2026 09:10 02/03/2026 09:30 0:20:00 12,0 km 36 km/h 36 km/h 0:00:00',
      'Camión Ñandú 02/03/2026 11:00 02/03/2026 11:20 0:20:00 12,0 km 36 km/h 36 km/h 0:00:00',
      'Página 1 de 1',
    ])
      expect(text).toContain(line);
  });

  it('breaks a long table across pages, repeating the column headings, with page n of m', async () => {
    const t0 = Date.parse('2026-03-02T00:00:00Z');
    const items = Array.from({ length: 150 }, (_, i) => trip(t0 + i * 1_800_000, { distanceM: 1000 * (i + 1) }));
    const { pages } = readPdf(await renderPdf(trips(items), { lang: 'en', timeZone: 'UTC' }));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    pages.forEach((page, i) => {
      expect(page).toMatch(/Vehicle\s+Start\s+End\s+Duration\s+Distance/);
      expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    });
    // Every trip once, in order, none lost at a page break.
    const distances = pages
      .join('\n')
      .split('\n')
      .flatMap((line) => /Camión Ñandú .* ([\d,]+\.0) km /.exec(line)?.[1] ?? [])
      .map((km) => Number(km.replace(/,/g, '')));
    expect(distances).toEqual(items.map((_, i) => i + 1));
    expect(pages[0]).toContain('Distance: 11,325.0 km');
  });

  it('lists events with their type in the language, and says so when the period is empty', async () => {
    const event: EventDetail = {
      id: '00000000-0000-4000-8000-0000000000e1',
      vehicleId: basis.vehicleId,
      type: 'overspeed',
      ts: '2026-03-02T09:00:00.000Z',
      geofenceId: null,
      lat: 40.41,
      lon: -3.69,
      attributes: { speedKmh: 92.44, limitKmh: 80 },
      vehicleName: 'Camión Ñandú',
      geofenceName: null,
    };
    const events: ReportData = { kind: 'events', header: { ...header, vehicles: [] }, events: [event] };
    const [page] = readPdf(await renderPdf(events, { lang: 'es', timeZone: 'Europe/Madrid' })).pages;
    expect(page).toContain('Vehículos: Todos los vehículos');
    expect(page.replace(/[ \t]+/g, ' ')).toContain(
      '02/03/2026 10:00 Camión Ñandú Exceso de velocidad 92 / 80 km/h 40,41000 -3,69000',
    );
    expect(renderCsv(events, { lang: 'en', timeZone: 'UTC' }).split('\r\n')[1]).toBe(
      '2026-03-02T09:00:00+00:00,Camión Ñandú,Overspeed,,92.4,80,40.41,-3.69,',
    );
    const empty = readPdf(await renderPdf({ ...events, events: [] }, { lang: 'en', timeZone: 'UTC' })).pages[0];
    expect(empty).toContain('Nothing in this period.');
  });
});

/** Fixes as the API's compact track has them: columns, NaN where a fix did not say. */
function fixes(points: Array<{ ts: number; speed: number; altitude?: number; battery?: number }>) {
  return {
    n: points.length,
    t: Float64Array.from(points, (p) => p.ts),
    speedKmh: Float32Array.from(points, (p) => p.speed),
    altitude: Float32Array.from(points, (p) => p.altitude ?? NaN),
    battery: Float32Array.from(points, (p) => p.battery ?? NaN),
  };
}
const every = (fromMs: number, toMs: number, stepMs: number) =>
  Array.from({ length: Math.floor((toMs - fromMs) / stepMs) }, (_, i) => fromMs + i * stepMs);

describe('chart series (thinned for the PDF chart)', () => {
  const day = { from: new Date(header.from), to: new Date(header.to) };
  const t0 = day.from.getTime();

  it('keeps at most CHART_MAX_POINTS of a day at 1 Hz, the fastest and slowest fixes among them', () => {
    const ts = every(t0, day.to.getTime(), 1000);
    const speed = (i: number) => (i === 40_000 ? 131.4 : i === 50_000 ? 0 : 50 + 10 * Math.sin(i / 100));
    const series = new ChartSeriesBuilder(day).add(fixes(ts.map((ts, i) => ({ ts, speed: speed(i) })))).build();
    expect(series.t.length).toBeLessThanOrEqual(CHART_MAX_POINTS);
    expect(series.t.length).toBeGreaterThan(CHART_MAX_POINTS / 2);
    expect(Math.max(...(series.speedKmh as number[]))).toBe(131.4);
    expect(Math.min(...(series.speedKmh as number[]))).toBe(0);
    expect(series.t).toEqual([...series.t].sort((a, b) => a - b));
    expect(series.breaks).toEqual([]);
    // No altitude or battery in the fixes: no such columns.
    expect(series.altitudeM).toBeUndefined();
    expect(series.batteryPct).toBeUndefined();
  });

  it('breaks the line where fixes are more than 5 minutes apart, judged on every fix, not the points kept', () => {
    // Every 10 s, a gap of 5 min exactly (no break), then one of 5 min 10 s (a break).
    const ts = [
      ...every(t0, t0 + 600_000, 10_000),
      ...every(t0 + 890_000, t0 + 1_200_000, 10_000),
      ...every(t0 + 1_500_000, t0 + 1_800_000, 10_000),
    ];
    const series = new ChartSeriesBuilder(day, { maxPoints: 100_000 })
      .add(fixes(ts.map((ts) => ({ ts, speed: 30, altitude: 650 }))))
      .build();
    expect(series.t).toEqual(ts);
    expect(series.breaks).toEqual([ts.indexOf(t0 + 1_500_000)]);
    expect(series.altitudeM?.every((a) => a === 650)).toBe(true);

    // A month, a fix a minute: kept points end up far more than 5 min apart, yet the line is unbroken,
    // except across the one real gap of an hour.
    const month = { from: new Date(t0), to: new Date(t0 + 31 * 86_400_000) };
    const gapAt = t0 + 10 * 86_400_000 + 1234;
    const minutes = every(t0, month.to.getTime(), 60_000).filter((ts) => ts < gapAt || ts > gapAt + 3_600_000);
    const builder = new ChartSeriesBuilder(month);
    // Fed a window at a time, as the API reads it.
    const split = Math.floor(minutes.length / 3);
    for (const part of [minutes.slice(0, split), minutes.slice(split, 2 * split), minutes.slice(2 * split)])
      builder.add(fixes(part.map((ts) => ({ ts, speed: 40, battery: 80 }))));
    const thinned = builder.build();
    expect(thinned.t.length).toBeLessThanOrEqual(CHART_MAX_POINTS);
    expect(thinned.breaks).toHaveLength(1);
    const [b] = thinned.breaks;
    expect(thinned.t[b - 1]).toBeLessThan(gapAt);
    expect(thinned.t[b]).toBeGreaterThan(gapAt + 3_600_000);
    expect(thinned.batteryPct?.[0]).toBe(80);
  });
});

describe('speed chart in the PDF', () => {
  // 07:00–11:00 and 13:00–19:00 in Madrid (UTC+1), a fix every 10 s with altitude, no battery.
  const H = 3_600_000;
  const day0 = Date.parse('2026-03-02T00:00:00Z');
  const ts = [...every(day0 + 6 * H, day0 + 10 * H, 10_000), ...every(day0 + 12 * H, day0 + 18 * H, 10_000)];
  const series: ChartSeries = new ChartSeriesBuilder({ from: new Date(header.from), to: new Date(header.to) })
    .add(fixes(ts.map((ts, i) => ({ ts, speed: 45 + 35 * Math.sin(i / 40), altitude: 600 + (i % 500) / 10 }))))
    .build();
  const withChart = (s: ChartSeries): ReportData => {
    const data = trips([trip(Date.parse('2026-03-02T08:10:00Z'))]);
    if (data.kind === 'trips') data.vehicles[0].series = s;
    return data;
  };
  /** Pixels of the speed line's blue. */
  const blue = (r: number, g: number, b: number) => b > 150 && r < 120 && b - g > 50;

  /** The page at 100 dpi, and the pixel column of an instant, from where the 09:00 and 15:00 ticks were written. */
  function layout(pdf: Buffer) {
    const words = wordBoxes(pdf);
    const at = (text: string) => {
      const w = words.find((x) => x.text === text);
      if (!w) throw new Error(`no "${text}" on the page`);
      return w;
    };
    const px = 100 / 72;
    const nine = at('09:00');
    const three = at('15:00');
    const x9 = ((nine.xMin + nine.xMax) / 2) * px;
    const x15 = ((three.xMin + three.xMax) / 2) * px;
    const xOf = (ms: number) => x9 + ((ms - (day0 + 8 * H)) / (6 * H)) * (x15 - x9);
    // From under the chart's title to above the time ticks.
    const title = words.filter((w) => w.text === 'Speed' || w.text === 'Velocidad').pop();
    return { image: pagePixels(pdf, { dpi: 100 }), xOf, y0: (title?.yMax ?? 0) * px, y1: nine.yMin * px };
  }

  it('draws the speed and altitude over the day with axes in the language and the time zone', async () => {
    const en = readPdf(await renderPdf(withChart(series), { lang: 'en', timeZone: 'Europe/Madrid' })).pages;
    const es = readPdf(await renderPdf(withChart(series), { lang: 'es', timeZone: 'Europe/Madrid' })).pages;
    const flat = (pages: string[]) => pages.join('\n').replace(/[ \t]+/g, ' ');
    for (const line of [
      'Speed over time — Camión Ñandú',
      'Speed (km/h)',
      'Altitude (m)',
      'Time (Europe/Madrid)',
      '00:00 03:00 06:00 09:00 12:00 15:00 18:00 21:00 00:00',
      'Mar 2',
      'Mar 3',
    ])
      expect(flat(en)).toContain(line);
    for (const line of [
      'Velocidad a lo largo del tiempo — Camión Ñandú',
      'Velocidad (km/h)',
      'Altitud (m)',
      'Hora (Europe/Madrid)',
      '2 mar',
    ])
      expect(flat(es)).toContain(line);
    // Speed ticks up to the fastest fix (80 km/h) in round steps; no battery in the fixes, no battery panel.
    expect(flat(en)).toMatch(/\b80\b/);
    expect(flat(en)).not.toContain('Battery');
    // In New York the same fixes start at 01:00 and the day's ticks are that zone's.
    const ny = readPdf(await renderPdf(withChart(series), { lang: 'en', timeZone: 'America/New_York' })).pages;
    expect(flat(ny)).toContain('Time (America/New_York)');
    expect(flat(ny)).toContain('18:00 21:00 00:00');
  });

  it('draws a line where the fixes are, none across the two hours without fixes', async () => {
    const pdf = await renderPdf(withChart(series), { lang: 'en', timeZone: 'Europe/Madrid' });
    const { image, xOf, y0, y1 } = layout(pdf);
    expect(y1 - y0).toBeGreaterThan(100);
    const region = (fromMs: number, toMs: number) => ({ x0: xOf(fromMs), x1: xOf(toMs), y0, y1 });
    // The chart is not blank where the vehicle drove, and its line is the speed's blue.
    expect(countPixels(image, region(day0 + 7 * H, day0 + 9 * H))).toBeGreaterThan(500);
    expect(countPixels(image, region(day0 + 7 * H, day0 + 9 * H), blue)).toBeGreaterThan(100);
    expect(countPixels(image, region(day0 + 13 * H, day0 + 17 * H), blue)).toBeGreaterThan(100);
    // Nothing blue in the gap (10:20–11:40 UTC), nor before the first fix.
    expect(countPixels(image, region(day0 + 10 * H + 1_200_000, day0 + 11 * H + 2_400_000), blue)).toBe(0);
    expect(countPixels(image, region(day0 + 2 * H, day0 + 5 * H + 2_400_000), blue)).toBe(0);
    // The same points without their break: a line crosses the gap (so the check above can fail).
    const joined = layout(
      await renderPdf(withChart({ ...series, breaks: [] }), { lang: 'en', timeZone: 'Europe/Madrid' }),
    );
    expect(
      countPixels(joined.image, region(day0 + 10 * H + 1_200_000, day0 + 11 * H + 2_400_000), blue),
    ).toBeGreaterThan(0);
  });

  it('says so when a vehicle had no fixes, and draws no chart without a series', async () => {
    const empty = readPdf(
      await renderPdf(withChart({ t: [], speedKmh: [], breaks: [] }), { lang: 'es', timeZone: 'Europe/Madrid' }),
    ).pages.join('\n');
    expect(empty).toContain('Velocidad a lo largo del tiempo — Camión Ñandú');
    expect(empty).toContain('Sin posiciones en este periodo.');
    const none = readPdf(await renderPdf(trips([]), { lang: 'en', timeZone: 'UTC' })).pages.join('\n');
    expect(none).not.toContain('Speed over time');
  });
});
