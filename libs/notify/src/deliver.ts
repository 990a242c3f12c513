import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff';
import type { EmailChannel } from './channels/email';
import type { TelegramChannel } from './channels/telegram';
import { DeliveryError, messageOf, type FailureKind } from './errors';
import type { Attachment, ChannelKind, IdempotencyParts, RenderedNotification } from './types';

/** One event's notification under one rule, for one recipient, ready for any channel. */
export interface Notification {
  eventId: string;
  ruleId: string;
  recipient: { email?: string | null; telegramChatId?: string | null };
  content: RenderedNotification;
  attachments?: readonly Attachment[];
}

export interface Channels {
  email?: EmailChannel;
  telegram?: TelegramChannel;
}

/** One try at one channel, shaped for a delivery log row. */
export interface AttemptRecord {
  idempotencyKey: string;
  eventId: string;
  ruleId: string;
  channel: ChannelKind;
  /** 1 for the first try. */
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  /** `retry`: failed, another attempt is due at `nextAttemptAt`; `failed`: given up. */
  status: 'sent' | 'retry' | 'failed';
  /**
   * Parts already accepted by the receiver (Telegram: the message, then each document), so the next
   * attempt resumes after them instead of sending the message twice.
   */
  partsSent: number;
  /** The receiver's ids of what it accepted (Message-ID, Telegram message_id). */
  providerIds: string[];
  nextAttemptAt?: Date;
  error?: { kind: FailureKind; code: string; message: string };
}

/** The key of "at most one notification per event per rule per channel". */
export function idempotencyKey(parts: IdempotencyParts): string {
  return `${parts.eventId}:${parts.ruleId}:${parts.channel}`;
}

export interface DeliverOptions {
  channels: Channels;
  /** The previous attempt at the same key, if any: its count and the parts it already sent carry over. */
  previous?: AttemptRecord;
  policy?: RetryPolicy;
  now?: () => Date;
  random?: () => number;
}

/** What one channel sends for a notification, as steps the receiver accepts one by one. */
function steps(n: Notification, channel: ChannelKind, channels: Channels, key: string): (() => Promise<string>)[] {
  if (channel === 'email') {
    const email = channels.email;
    const to = n.recipient.email;
    if (!email)
      throw new DeliveryError('e-mail is not configured (no SMTP server)', {
        kind: 'permanent',
        code: 'channel_not_configured',
      });
    if (!to)
      throw new DeliveryError('the recipient has no e-mail address', { kind: 'permanent', code: 'no_recipient' });
    return [
      async () =>
        (
          await email.send({
            to,
            subject: n.content.subject,
            text: n.content.text,
            html: n.content.html,
            attachments: n.attachments,
            idempotencyKey: key,
          })
        ).messageId,
    ];
  }
  const telegram = channels.telegram;
  const chatId = n.recipient.telegramChatId;
  if (!telegram)
    throw new DeliveryError('Telegram is not configured (no bot token)', {
      kind: 'permanent',
      code: 'channel_not_configured',
    });
  if (!chatId)
    throw new DeliveryError('the recipient has no Telegram chat id', { kind: 'permanent', code: 'no_recipient' });
  return [
    async () =>
      String((await telegram.sendMessage({ chatId, text: n.content.telegramHtml, parseMode: 'HTML' })).messageId),
    ...(n.attachments ?? []).map(
      (document) => async () => String((await telegram.sendDocument({ chatId, document })).messageId),
    ),
  ];
}

const asDeliveryError = (e: unknown): DeliveryError =>
  e instanceof DeliveryError
    ? e
    : // A bug or an unexpected throw: retried (capped), so a fix deployed in between still delivers.
      new DeliveryError(messageOf(e), {
        kind: 'transient',
        code: 'unexpected',
        cause: e,
      });

/**
 * One attempt to deliver `notification` through `channel`. Never throws: the outcome, the error's
 * class and the next attempt's time are in the record.
 */
export async function deliver(
  notification: Notification,
  channel: ChannelKind,
  options: DeliverOptions,
): Promise<AttemptRecord> {
  const now = options.now ?? (() => new Date());
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const key = idempotencyKey({ eventId: notification.eventId, ruleId: notification.ruleId, channel });
  const attempt = (options.previous?.attempt ?? 0) + 1;
  const providerIds = [...(options.previous?.providerIds ?? [])];
  let partsSent = options.previous?.partsSent ?? 0;
  const startedAt = now();
  const record = (status: AttemptRecord['status'], extra: Partial<AttemptRecord> = {}): AttemptRecord => ({
    idempotencyKey: key,
    eventId: notification.eventId,
    ruleId: notification.ruleId,
    channel,
    attempt,
    startedAt,
    finishedAt: now(),
    status,
    partsSent,
    providerIds,
    ...extra,
  });
  try {
    const todo = steps(notification, channel, options.channels, key);
    for (const step of todo.slice(partsSent)) {
      providerIds.push(await step());
      partsSent++;
    }
    return record('sent');
  } catch (e) {
    const error = asDeliveryError(e);
    const delay = retryDelayMs(attempt, error, policy, options.random);
    const summary = { kind: error.kind, code: error.code, message: error.message.slice(0, 500) };
    if (delay === null) return record('failed', { error: summary });
    return record('retry', { error: summary, nextAttemptAt: new Date(now().getTime() + delay) });
  }
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Where attempts are recorded and keys claimed: the delivery log table later (a unique key on
 * event, rule and channel); memoryLedger() until then and in tests.
 */
export interface DeliveryLedger {
  /** True when the caller now owns the key; false when it was delivered, given up or is being delivered. */
  claim(key: string): Promise<boolean>;
  record(attempt: AttemptRecord): Promise<void>;
}

export function memoryLedger(): DeliveryLedger & { attempts: AttemptRecord[] } {
  const claimed = new Set<string>();
  const attempts: AttemptRecord[] = [];
  return {
    attempts,
    async claim(key) {
      if (claimed.has(key)) return false;
      claimed.add(key);
      return true;
    },
    async record(attempt) {
      attempts.push(attempt);
    },
  };
}

export type DeliveryOutcome =
  | { status: 'sent' | 'failed'; attempts: AttemptRecord[] }
  /** Another delivery of the same event, rule and channel happened or is happening: nothing sent. */
  | { status: 'duplicate'; attempts: [] };

/**
 * Delivers with retries in this process, waiting on `clock` between attempts: for a worker that
 * keeps the notification in memory (a queue with its own persistence would call deliver() per try).
 */
export async function deliverWithRetries(
  notification: Notification,
  channel: ChannelKind,
  options: Omit<DeliverOptions, 'previous' | 'now'> & { ledger: DeliveryLedger; clock?: Clock },
): Promise<DeliveryOutcome> {
  const clock = options.clock ?? systemClock;
  const key = idempotencyKey({ eventId: notification.eventId, ruleId: notification.ruleId, channel });
  if (!(await options.ledger.claim(key))) return { status: 'duplicate', attempts: [] };
  const attempts: AttemptRecord[] = [];
  for (;;) {
    const previous = attempts.at(-1);
    const attempt = await deliver(notification, channel, { ...options, previous, now: () => clock.now() });
    attempts.push(attempt);
    await options.ledger.record(attempt);
    if (attempt.status !== 'retry') return { status: attempt.status, attempts };
    const due = attempt.nextAttemptAt ?? clock.now();
    await clock.sleep(Math.max(0, due.getTime() - clock.now().getTime()));
  }
}
