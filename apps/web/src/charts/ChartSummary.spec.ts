import i18next from 'i18next';
import { setLanguage } from '../i18n';
import { summarySentences } from './ChartSummary';

describe('summarySentences', () => {
  afterEach(async () => {
    await setLanguage('en');
  });

  it('says the maximum and average speed in km/h', () => {
    const text = summarySentences({ speed: { maxKmh: 87.4, avgKmh: 33.6 }, altitude: null, battery: null }, i18next.t);
    expect(text).toEqual(['Speed: maximum 87 km/h, average 34 km/h.']);
  });

  it('adds altitude and battery only when the chart draws them', () => {
    const text = summarySentences(
      { speed: null, altitude: { min: 612, max: 700 }, battery: { first: 80, last: 55, min: 41 } },
      i18next.t,
    );
    expect(text).toEqual(['Altitude from 612 m to 700 m.', 'Battery from 80 % to 55 %, lowest 41 %.']);
  });

  it('says there is nothing to draw when the period has none of them', () => {
    expect(summarySentences({ speed: null, altitude: null, battery: null }, i18next.t)).toEqual([
      'No speed, altitude or battery in this period.',
    ]);
  });

  it('speaks Spanish with Spanish numbers', async () => {
    await setLanguage('es');
    const text = summarySentences({ speed: { maxKmh: 1234, avgKmh: 45 }, altitude: null, battery: null }, i18next.t);
    expect(text).toEqual(['Velocidad: máxima 1234 km/h, media 45 km/h.']);
  });
});
