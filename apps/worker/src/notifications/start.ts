import {
  createEmailChannel,
  createTelegramChannel,
  type Channels,
  type NotifyConfig,
  type RetryPolicy,
} from '@fleet/notify';
import type { Logger } from '@fleet/logging-json';
import type { Pool } from 'pg';
import type client from 'prom-client';
import { startNotificationSender, type NotificationSender } from './sender';

export interface NotificationsConfig extends NotifyConfig {
  concurrency: number;
  pollMs: number;
  sendTimeoutMs: number;
  policy: RetryPolicy;
}

/** The sender with the channels the configuration turns on (SMTP_HOST, TELEGRAM_BOT_TOKEN); closes them on stop. */
export function startNotifications(o: {
  pool: Pool;
  logger: Logger;
  registry: client.Registry;
  config: NotificationsConfig;
  now?: () => Date;
}): NotificationSender {
  const { config } = o;
  const channels: Channels = {
    ...(config.smtp ? { email: createEmailChannel(config.smtp) } : {}),
    ...(config.telegram ? { telegram: createTelegramChannel(config.telegram) } : {}),
  };
  const sender = startNotificationSender({
    pool: o.pool,
    logger: o.logger,
    registry: o.registry,
    channels,
    webBaseUrl: config.webBaseUrl,
    concurrency: config.concurrency,
    pollMs: config.pollMs,
    sendTimeoutMs: config.sendTimeoutMs,
    policy: config.policy,
    now: o.now,
  });
  return {
    stop: async () => {
      await sender.stop();
      channels.email?.close();
    },
  };
}
