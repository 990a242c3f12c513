import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setLanguage } from '../i18n';
import { renderSignedIn } from '../testing/render';
import { ReportFiles } from './ReportFiles';

const VEHICLE = '3f0c6d5e-8a1b-4c2d-9e3f-4a5b6c7d8e9f';
const period = { from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' };

const saved: string[] = [];
beforeAll(() => {
  // jsdom has no object URLs nor downloads: record the file name the browser would save under.
  URL.createObjectURL = () => 'blob:report';
  URL.revokeObjectURL = () => undefined;
  jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push(this.download);
  });
});
afterEach(() => setLanguage('en'));
/** The report downloads asked for (the page also reads the groups for its group filter). */
const reports = (requests: { url: string }[]) => requests.filter((r) => r.url.startsWith('/api/v1/reports/'));

describe('ReportFiles', () => {
  it('downloads the chosen report as PDF in the language and time zone of the browser', async () => {
    const { api } = await renderSignedIn(<ReportFiles vehicleId={VEHICLE} {...period} />, {
      'GET /api/v1/reports/stops.pdf': () => ({ status: 200, body: '%PDF' }),
    });
    await userEvent.selectOptions(screen.getByLabelText('Report file'), 'stops');
    await userEvent.click(screen.getByRole('button', { name: 'Download PDF' }));
    await waitFor(() => expect(reports(api.requests)).toHaveLength(1));
    const url = new URL(reports(api.requests)[0].url, 'http://web.test');
    expect(url.pathname).toBe('/api/v1/reports/stops.pdf');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      vehicleIds: VEHICLE,
      ...period,
      lang: 'en',
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
    await waitFor(() => expect(saved).toEqual(['stops_2026-03-02.pdf']));
  });

  it('offers the maintenance report (in Spanish too) and downloads it', async () => {
    await setLanguage('es');
    const { api } = await renderSignedIn(<ReportFiles vehicleId={VEHICLE} {...period} />, {
      'GET /api/v1/reports/maintenance.csv': () => ({ status: 200, body: 'Vehículo' }),
    });
    await userEvent.selectOptions(screen.getByLabelText('Informe en archivo'), 'Mantenimiento');
    await userEvent.click(screen.getByRole('button', { name: 'Descargar CSV del informe' }));
    await waitFor(() => expect(reports(api.requests)).toHaveLength(1));
    expect(new URL(reports(api.requests)[0].url, 'http://web.test').pathname).toBe('/api/v1/reports/maintenance.csv');
  });

  it('asks for Spanish and a byte order mark (for Excel) in the CSV, and shows a refusal', async () => {
    await setLanguage('es');
    const { api } = await renderSignedIn(<ReportFiles vehicleId={VEHICLE} {...period} />, {
      'GET /api/v1/reports/trips.csv': () => ({
        status: 400,
        body: { error: { code: 'validation_failed', message: 'the period is longer than 31 days' } },
      }),
    });
    await userEvent.click(screen.getByRole('button', { name: 'Descargar CSV del informe' }));
    expect(await screen.findByRole('alert')).toBeInTheDocument();
    const url = new URL(reports(api.requests)[0].url, 'http://web.test');
    expect(url.pathname).toBe('/api/v1/reports/trips.csv');
    expect(url.searchParams.get('lang')).toBe('es');
    expect(url.searchParams.get('bom')).toBe('true');
  });

  it('reports on a whole group (and the groups below it) when one is chosen', async () => {
    const group = (id: string, name: string, depth: number, parentId: string | null) => ({
      id,
      name,
      depth,
      parentId,
      vehicleCount: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    const NORTE = '11111111-1111-4111-8111-111111111111';
    const DEPOT = '22222222-2222-4222-8222-222222222222';
    const { api } = await renderSignedIn(<ReportFiles vehicleId={VEHICLE} {...period} />, {
      'GET /api/v1/groups': () => ({
        status: 200,
        body: { items: [group(NORTE, 'Norte', 0, null), group(DEPOT, 'Depot Norte', 1, NORTE)] },
      }),
      'GET /api/v1/reports/trips.csv': () => ({ status: 200, body: 'csv' }),
    });
    await userEvent.selectOptions(await screen.findByLabelText('Group'), 'Norte');
    await userEvent.click(screen.getByRole('button', { name: 'Download report CSV' }));
    await waitFor(() => expect(reports(api.requests)).toHaveLength(1));
    const query = new URL(reports(api.requests)[0].url, 'http://web.test').searchParams;
    expect([query.get('groupId'), query.get('vehicleIds')]).toEqual([NORTE, null]);
  });
});
