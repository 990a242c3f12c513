import type { EventType } from '@fleet/contracts';

/** The channels this lib delivers through. Webhooks and mobile push are delivered by the worker already. */
export type ChannelKind = 'email' | 'telegram';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['email', 'telegram'];

export type Language = 'en' | 'es';

/** A file carried by a notification (a scheduled report's PDF or CSV). */
export interface Attachment {
  filename: string;
  content: Buffer | string;
  contentType?: string;
}

/** What a template produces for one event, one language: each channel picks the parts it can show. */
export interface RenderedNotification {
  subject: string;
  text: string;
  html: string;
  /** For Telegram's `HTML` parse mode: only the tags Telegram knows (b, a), everything else escaped. */
  telegramHtml: string;
}

/**
 * Which notification this is, for at most one per event per rule per channel: the delivery log keys
 * on it (unique), the e-mail's Message-ID is derived from it.
 */
export interface IdempotencyParts {
  eventId: string;
  ruleId: string;
  channel: ChannelKind;
}

export interface NotificationRule {
  id: string;
  /** The event types the rule fires on; empty matches none. */
  eventTypes: readonly EventType[];
  /**
   * The vehicles it covers: those listed, plus those in (or under) the groups listed. Both empty or
   * absent: every vehicle of the organization.
   */
  vehicleIds?: readonly string[];
  groupIds?: readonly string[];
  channels: readonly ChannelKind[];
  /** IANA zone of the rule's owner: quiet hours are in it. */
  timeZone: string;
  quietHours?: QuietHours | null;
}

export interface QuietHours {
  /** Local "HH:MM", 24 h. Start after end means the quiet period spans midnight; start = end means none. */
  start: string;
  end: string;
  /** `skip`: nothing is sent for an event during quiet hours; `defer`: sent when they end. */
  mode: 'skip' | 'defer';
}
