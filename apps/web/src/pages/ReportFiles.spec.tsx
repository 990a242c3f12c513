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

describe('ReportFiles', () => {
  it('downloads the chosen report as PDF in the language and time zone of the browser', async () => {
    const { api } = await renderSignedIn(<ReportFiles vehicleId={VEHICLE} {...period} />, {
      'GET /api/v1/reports/stops.pdf': () => ({ status: 200, body: '%PDF' }),
    });
    await userEvent.selectOptions(screen.getByLabelText('Report file'), 'stops');
    await userEvent.click(screen.getByRole('button', { name: 'Download PDF' }));
    await waitFor(() => expect(api.requests).toHaveLength(1));
    const url = new URL(api.requests[0].url, 'http://web.test');
    expect(url.pathname).toBe('/api/v1/reports/stops.pdf');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      vehicleIds: VEHICLE,
      ...period,
      lang: 'en',
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
    await waitFor(() => expect(saved).toEqual(['stops_2026-03-02.pdf']));
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
    const url = new URL(api.requests[0].url, 'http://web.test');
    expect(url.pathname).toBe('/api/v1/reports/trips.csv');
    expect(url.searchParams.get('lang')).toBe('es');
    expect(url.searchParams.get('bom')).toBe('true');
  });
});
