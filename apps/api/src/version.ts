/** Set at build time by the image (APP_VERSION); "dev" when running from source. */
export const VERSION = process.env['APP_VERSION'] ?? 'dev';
