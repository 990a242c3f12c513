import type { VehicleMaintenance } from '@fleet/contracts';
import { renderCsv, renderPdf, ruleStatus, type MaintenanceStatusRow, type ReportData } from './index';
import { readPdf } from './testing';

const header = {
  organization: 'Transportes Peñalara',
  from: '2026-03-01T23:00:00.000Z',
  to: '2026-03-02T23:00:00.000Z',
  vehicles: ['Camión Ñandú', 'Furgón 2'],
  generatedAt: '2026-03-03T07:30:00.000Z',
};

const ids = {
  v1: '00000000-0000-4000-8000-000000000001',
  v2: '00000000-0000-4000-8000-000000000002',
  r1: '00000000-0000-4000-8000-0000000000a1',
  r2: '00000000-0000-4000-8000-0000000000a2',
  rec: '00000000-0000-4000-8000-0000000000c1',
};

const maintenance: VehicleMaintenance[] = [
  {
    vehicleId: ids.v1,
    vehicleName: 'Camión Ñandú',
    odometerKm: 15_234.56,
    engineHours: 410.25,
    countedAt: '2026-03-03T07:00:00.000Z',
    rules: [
      {
        ruleId: ids.r1,
        ruleName: 'Cambio de aceite',
        lastService: { id: ids.rec, doneAt: '2026-01-10T09:00:00.000Z', odometerKm: 5_000, engineHours: 300 },
        nextKm: 15_000,
        nextEngineHours: null,
        nextAt: null,
        due: true,
        overdue: true,
      },
      {
        ruleId: ids.r2,
        ruleName: 'ITV',
        lastService: null,
        nextKm: null,
        nextEngineHours: 500,
        nextAt: '2026-06-01T00:00:00.000Z',
        due: false,
        overdue: false,
      },
    ],
  },
  {
    vehicleId: ids.v2,
    vehicleName: 'Furgón 2',
    odometerKm: null,
    engineHours: null,
    countedAt: null,
    rules: [
      {
        ruleId: ids.r2,
        ruleName: 'ITV',
        lastService: null,
        nextKm: null,
        nextEngineHours: 500,
        nextAt: '2026-03-20T00:00:00.000Z',
        due: true,
        overdue: false,
      },
    ],
  },
];

const data: ReportData = { kind: 'maintenance', header, maintenance };

describe('maintenance report', () => {
  it('writes one CSV row per vehicle and rule: counters, last service, next due, status (Spanish, Madrid time)', () => {
    const lines = renderCsv(data, { lang: 'es', timeZone: 'Europe/Madrid' }).split('\r\n');
    expect(lines[0]).toBe(
      'Vehículo,Regla,Odómetro (km),Horas de motor (h),Último servicio,Odómetro último servicio (km),' +
        'Horas de motor último servicio (h),Próximo servicio (odómetro) (km),Próximo servicio (horas de motor) (h),' +
        'Próximo servicio (fecha),Estado',
    );
    expect(lines.slice(1, 4)).toEqual([
      'Camión Ñandú,Cambio de aceite,15234.6,410.3,2026-01-10T10:00:00+01:00,5000,300,15000,,,Vencido',
      'Camión Ñandú,ITV,15234.6,410.3,,,,,500,2026-06-01T02:00:00+02:00,Al día',
      'Furgón 2,ITV,,,,,,,500,2026-03-20T01:00:00+01:00,Próximo',
    ]);
    expect(lines.slice(4).filter(Boolean)).toEqual([]);
    expect(renderCsv(data, { lang: 'en', timeZone: 'UTC' }).split('\r\n')[3]).toBe(
      'Furgón 2,ITV,,,,,,,500,2026-03-20T00:00:00+00:00,Due soon',
    );
  });

  it('prints the PDF table with the status in the language and the counts of overdue and due rules', async () => {
    const [page] = readPdf(await renderPdf(data, { lang: 'en', timeZone: 'UTC' })).pages;
    expect(page).toContain('Maintenance');
    expect(page).toContain('Transportes Peñalara');
    for (const text of ['Camión Ñandú', 'Cambio de aceite', 'Overdue', 'Due soon', 'OK', 'Next due', 'Last service'])
      expect(page).toContain(text);
    expect(page).toMatch(/15,235 km/);
    expect(page).toMatch(/500\.0 h/);
    const [es] = readPdf(await renderPdf(data, { lang: 'es', timeZone: 'UTC' })).pages;
    for (const text of ['Mantenimiento', 'Vencido', 'Próximo', 'Al día', 'Regla']) expect(es).toContain(text);
    const none: ReportData = { kind: 'maintenance', header, maintenance: [] };
    const [empty] = readPdf(await renderPdf(none, { lang: 'en', timeZone: 'UTC' })).pages;
    expect(empty).toContain('No maintenance rule applies to these vehicles.');
  });

  it('computes a rule’s next limits and status from the counters, the last service and the notice (ruleStatus)', () => {
    const row = (over: Partial<MaintenanceStatusRow>): MaintenanceStatusRow => ({
      vehicle_id: ids.v1,
      vehicle_name: 'V',
      rule_id: ids.r1,
      rule_name: 'Oil',
      every_km: 10_000,
      every_engine_hours: null,
      every_months: null,
      notify_before_km: 500,
      notify_before_engine_hours: 0,
      notify_before_days: 0,
      record_id: ids.rec,
      done_at: new Date('2026-01-10T09:00:00Z'),
      rec_km: 5_000,
      rec_hours: null,
      next_at: null,
      notify_at: null,
      odometer_km: 14_000,
      engine_seconds: 0,
      counted_at: new Date('2026-03-01T00:00:00Z'),
      now: new Date('2026-03-03T00:00:00Z'),
      ...over,
    });
    expect(ruleStatus(row({}))).toMatchObject({ nextKm: 15_000, due: false, overdue: false });
    expect(ruleStatus(row({ odometer_km: 14_500 }))).toMatchObject({ due: true, overdue: false });
    expect(ruleStatus(row({ odometer_km: 15_000 }))).toMatchObject({ due: true, overdue: true });
    const dated = row({
      every_km: null,
      next_at: new Date('2026-03-10T00:00:00Z'),
      notify_at: new Date('2026-03-02T00:00:00Z'),
    });
    expect(ruleStatus(dated)).toMatchObject({
      nextKm: null,
      nextAt: '2026-03-10T00:00:00.000Z',
      due: true,
      overdue: false,
    });
  });
});
