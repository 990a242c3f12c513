import i18next from 'i18next';
import { initI18n, setLanguage } from '../i18n';
import { describeEvent } from './event-text';

describe('describeEvent for a driver change', () => {
  beforeAll(() => initI18n('en'));
  afterAll(() => setLanguage('en'));

  it('names the new driver in English and Spanish, and says so when the name is unknown', async () => {
    const event = { type: 'driver_changed' as const, attributes: { from: null, to: 'x', toName: 'Ana Pérez' } };
    expect(describeEvent(i18next.t, event, 'Van 3')).toBe('Van 3 is now driven by Ana Pérez');
    expect(describeEvent(i18next.t, { ...event, attributes: {} }, 'Van 3')).toBe('Van 3 is now driven by nobody known');
    await setLanguage('es');
    expect(describeEvent(i18next.t, event, 'Van 3')).toBe('Van 3 lo conduce ahora Ana Pérez');
  });
});
