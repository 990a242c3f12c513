import { MAX_RANGE_DAYS, VEHICLE_LIMITS } from '@fleet/contracts';
import { act, render, screen } from '@testing-library/react';
import i18next from 'i18next';
import userEvent from '@testing-library/user-event';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { en } from './en';
import { es } from './es';
import { detectLanguage, setLanguage } from './index';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));
}

describe('detectLanguage', () => {
  it('prefers the stored choice, then the first browser language we speak, then English', () => {
    expect(detectLanguage('es', ['en-US'])).toBe('es');
    expect(detectLanguage(null, ['fr-FR', 'es-MX', 'en'])).toBe('es');
    expect(detectLanguage(null, ['EN-gb'])).toBe('en');
    expect(detectLanguage('klingon', ['de', 'fr'])).toBe('en');
    expect(detectLanguage(null, [])).toBe('en');
  });
});

describe('translations', () => {
  it('Spanish has every English key and no other, none empty', () => {
    expect(keys(es).sort()).toEqual(keys(en).sort());
    for (const k of keys(es))
      expect(k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], es)).not.toBe('');
  });
});

function Nav() {
  const { t } = useTranslation();
  return (
    <>
      <LanguageSwitch />
      <h1>{t('nav.history')}</h1>
      <p>{t('live.shown', { count: 2 })}</p>
    </>
  );
}

describe('validation messages', () => {
  it('state the limits the contracts declare', () => {
    expect(i18next.t('validation.periodLength')).toBe(`At most ${MAX_RANGE_DAYS} days`);
    expect(i18next.t('validation.speedLimit')).toContain(`${VEHICLE_LIMITS.speedLimitMaxKmh} km/h`);
    expect(i18next.t('validation.identifier')).toMatch(
      new RegExp(`^${VEHICLE_LIMITS.identifierMin} to ${VEHICLE_LIMITS.identifierMax} `),
    );
  });
});

describe('LanguageSwitch', () => {
  afterEach(async () => {
    await act(() => setLanguage('en'));
  });

  it('switches the whole page at once, sets <html lang> and remembers the choice', async () => {
    render(<Nav />);
    expect(screen.getByRole('heading').textContent).toBe('History');
    await userEvent.selectOptions(screen.getByLabelText('Language'), 'es');
    expect(screen.getByRole('heading').textContent).toBe('Histórico');
    expect(screen.getByText('2 vehículos mostrados')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('es');
    expect(localStorage.getItem('fleet.language')).toBe('es');
    // the switch names itself in the new language
    expect(screen.getByLabelText('Idioma')).toBeInTheDocument();
  });
});
