import { COMMAND_LIMITS, MAX_RANGE_DAYS, PASSWORD_MIN_LENGTH, VEHICLE_LIMITS } from '@fleet/contracts';
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { es } from './es';

export const LANGUAGES = ['en', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'fleet.language';

const isLanguage = (value: string | null | undefined): value is Language =>
  (LANGUAGES as readonly string[]).includes(value ?? '');

/**
 * The language to start in: the one chosen before (kept in localStorage), else the first of the
 * browser's preferred languages we speak (`es-MX` counts as `es`), else English.
 */
export function detectLanguage(stored: string | null, preferred: readonly string[]): Language {
  if (isLanguage(stored)) return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

function storedLanguage(): string | null {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

export function initI18n(language?: Language) {
  const lng =
    language ??
    detectLanguage(storedLanguage(), globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en']);
  void i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, es: { translation: es } },
    lng,
    fallbackLng: 'en',
    interpolation: {
      escapeValue: false, // React escapes
      // Validation messages state the API's limits from the contracts, not copies of them.
      defaultVariables: {
        maxSpeedKmh: VEHICLE_LIMITS.speedLimitMaxKmh,
        identifierMin: VEHICLE_LIMITS.identifierMin,
        identifierMax: VEHICLE_LIMITS.identifierMax,
        maxRangeDays: MAX_RANGE_DAYS,
        minPassword: PASSWORD_MIN_LENGTH,
        commandTextMax: COMMAND_LIMITS.textMax,
      },
    },
    initAsync: false,
    returnNull: false,
  });
  if (globalThis.document) document.documentElement.lang = lng;
  return i18next;
}

/** Switches the whole UI now and remembers the choice for the next visit. */
export async function setLanguage(language: Language) {
  await i18next.changeLanguage(language);
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, language);
  } catch {
    // private mode: the choice lasts for this page only
  }
  if (globalThis.document) document.documentElement.lang = language;
}

export const currentLanguage = (): Language => (isLanguage(i18next.language) ? i18next.language : 'en');

/** Locale-aware formatting of the numbers and times the pages show. */
export const fmt = {
  dateTime: (value: string | number | Date) =>
    new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(value)),
  time: (value: string | number | Date) =>
    new Intl.DateTimeFormat(currentLanguage(), { timeStyle: 'medium' }).format(new Date(value)),
  number: (value: number, digits = 0) =>
    new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(
      value,
    ),
  km: (metres: number) => `${fmt.number(metres / 1000, 1)} km`,
  speed: (kmh: number | null | undefined) => (kmh == null ? '—' : `${fmt.number(kmh, 0)} km/h`),
  duration: (seconds: number) => {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : m > 0 ? `${m} min` : `${s % 60} s`;
  },
  coord: (value: number) => value.toFixed(5),
};
