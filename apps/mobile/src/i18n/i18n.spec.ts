import { en } from './en';
import { es } from './es';
import { phoneLanguage } from './index';

describe('language', () => {
  it('follows the first of the phone’s languages that the app speaks', () => {
    expect(phoneLanguage([{ languageCode: 'es' }])).toBe('es');
    expect(phoneLanguage([{ languageCode: 'fr' }, { languageCode: 'es' }, { languageCode: 'en' }])).toBe('es');
    expect(phoneLanguage([{ languageCode: 'en' }, { languageCode: 'es' }])).toBe('en');
  });

  it('falls back to English', () => {
    expect(phoneLanguage([{ languageCode: 'de' }, { languageCode: null }])).toBe('en');
    expect(phoneLanguage([])).toBe('en');
  });

  it('has a Spanish text for every English one', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : keys(v, `${prefix}${k}.`)));
    expect(keys(es)).toEqual(keys(en));
  });
});
