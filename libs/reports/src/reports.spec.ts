import type { EventDetail, TripItem } from '@fleet/contracts';
import { csvField, renderCsv, renderPdf, reportFileName, type ReportData } from './index';
import { pngSize, readPdf } from './testing';

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
      'Vehicle,Start,End,Duration (s),Distance (km),Max speed (km/h),Avg speed (km/h),Idle (s),Start latitude,Start longitude,End latitude,End longitude,Start place,End place\r\n' +
        `"'=Camión, ""Ñandú""",2026-03-02T09:10:00+01:00,2026-03-02T09:30:00+01:00,1200,12.003,36,36,0,40.4,-3.7,40.4,-3.558596,,\r\n`,
    );
    const es = renderCsv(data, { lang: 'es', timeZone: 'America/Mexico_City', bom: true });
    expect(es.startsWith('\uFEFFVehículo,Inicio,Fin,Duración (s),Distancia (km),Velocidad máx. (km/h)')).toBe(true);
    expect(es).toContain(',2026-03-02T02:10:00-06:00,2026-03-02T02:30:00-06:00,');
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
