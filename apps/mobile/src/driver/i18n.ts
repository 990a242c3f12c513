import { useTranslation } from 'react-i18next';
import type { i18n as I18n } from 'i18next';
import { driverEn } from '../i18n/driver.en';
import { driverEs } from '../i18n/driver.es';

export const DRIVER_NAMESPACE = 'driver';

/** Adds the driver texts to an i18next instance (idempotent), so the app's shared dictionaries stay as they are. */
export function addDriverTexts(instance: I18n): I18n {
  if (!instance.hasResourceBundle('en', DRIVER_NAMESPACE)) instance.addResourceBundle('en', DRIVER_NAMESPACE, driverEn);
  if (!instance.hasResourceBundle('es', DRIVER_NAMESPACE)) instance.addResourceBundle('es', DRIVER_NAMESPACE, driverEs);
  return instance;
}

/** `t` of the driver namespace, whatever i18n instance the app provides. */
export function useDriverTranslation() {
  const { i18n } = useTranslation();
  addDriverTexts(i18n);
  return useTranslation(DRIVER_NAMESPACE);
}
