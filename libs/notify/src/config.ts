import { z } from 'zod';
import type { SmtpConfig } from './channels/email';
import type { TelegramConfig } from './channels/telegram';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * The environment variables of the notification channels, for the app that sends them to add to its
 * own config schema (`baseEnvSchema.extend(notifyEnvSchema.shape)`): a channel is on when its
 * server / token is set.
 */
export const notifyEnvSchema = z.object({
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  SMTP_SECURE: bool.default(false),
  SMTP_REQUIRE_TLS: bool.default(false),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_FROM: z.string().min(3).default('Fleet <fleet@localhost>'),
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  TELEGRAM_BOT_TOKEN: z.string().min(1).optional(),
  /** Telegram's Bot API by default; a local Bot API server or a proxy otherwise. */
  TELEGRAM_API_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  TELEGRAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** The web app's public URL: notifications link to events in it. */
  WEB_BASE_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:4200'),
});
export type NotifyEnv = z.infer<typeof notifyEnvSchema>;

export interface NotifyConfig {
  smtp: SmtpConfig | null;
  telegram: TelegramConfig | null;
  webBaseUrl: string;
}

export function notifyConfig(env: NotifyEnv): NotifyConfig {
  return {
    smtp: env.SMTP_HOST
      ? {
          host: env.SMTP_HOST,
          port: env.SMTP_PORT,
          secure: env.SMTP_SECURE,
          requireTls: env.SMTP_REQUIRE_TLS,
          ...(env.SMTP_USER ? { user: env.SMTP_USER, password: env.SMTP_PASSWORD ?? '' } : {}),
          from: env.SMTP_FROM,
          timeoutMs: env.SMTP_TIMEOUT_MS,
        }
      : null,
    telegram: env.TELEGRAM_BOT_TOKEN
      ? {
          botToken: env.TELEGRAM_BOT_TOKEN,
          ...(env.TELEGRAM_API_BASE_URL ? { apiBaseUrl: env.TELEGRAM_API_BASE_URL } : {}),
          timeoutMs: env.TELEGRAM_TIMEOUT_MS,
        }
      : null,
    webBaseUrl: env.WEB_BASE_URL,
  };
}
