/**
 * Notifications' delivery core: templates (en/es), rule matching with quiet hours, e-mail (SMTP) and
 * Telegram channels, delivery attempts with classified errors and backoff. No storage and no worker
 * wiring yet (README.md).
 */
export * from './types';
export { escapeHtml, escapeTelegramHtml, escapeTelegramMarkdownV2 } from './escape';
export { renderEvent, eventLink, formatTime, type TemplateEvent, type TemplateOptions } from './templates';
export { NotificationRuleSchema, decide, ruleCovers, quietUntil, type GroupsOf, type RuleDecision } from './rules';
export { isValidTimeZone, localTime, zonedToInstant } from './zoned-time';
export { DeliveryError, classifySmtpError, isNetworkError, type FailureKind } from './errors';
export { DEFAULT_RETRY_POLICY, backoffMs, retryDelayMs, type RetryPolicy } from './backoff';
export { createEmailChannel, type EmailChannel, type EmailMessage, type SmtpConfig } from './channels/email';
export {
  TELEGRAM_API_BASE_URL,
  classifyTelegramReply,
  createTelegramChannel,
  type TelegramChannel,
  type TelegramConfig,
  type TelegramParseMode,
} from './channels/telegram';
export {
  deliver,
  deliverWithRetries,
  idempotencyKey,
  memoryLedger,
  systemClock,
  type AttemptRecord,
  type Channels,
  type Clock,
  type DeliverOptions,
  type DeliveryLedger,
  type DeliveryOutcome,
  type Notification,
} from './deliver';
export { notifyEnvSchema, notifyConfig, type NotifyConfig, type NotifyEnv } from './config';
