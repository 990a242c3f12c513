import { createInstance, type i18n } from 'i18next';
import { getLocales } from 'expo-localization';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { es } from './es';

export const LANGUAGES = ['en', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];

const isLanguage = (value: string | null | undefined): value is Language =>
  (LANGUAGES as readonly string[]).includes(value ?? '');

/** The first of the phone's preferred languages that the app speaks (`es-MX` counts as `es`), else English. */
export function phoneLanguage(locales: ReadonlyArray<{ languageCode: string | null }> = getLocales()): Language {
  for (const { languageCode } of locales) {
    const base = languageCode?.toLowerCase();
    if (isLanguage(base)) return base;
  }
  return 'en';
}

/** A ready i18next instance (synchronous: the dictionaries are bundled). */
export function createI18n(language: Language = phoneLanguage()): i18n {
  const instance = createInstance();
  void instance.use(initReactI18next).init({
    resources: { en: { translation: en }, es: { translation: es } },
    lng: language,
    fallbackLng: 'en',
    interpolation: { escapeValue: false }, // React Native renders text, not HTML
    initAsync: false,
    returnNull: false,
  });
  return instance;
}
