import { DeliveryError, isNetworkError, messageOf } from '../errors';
import type { Attachment } from '../types';

export const TELEGRAM_API_BASE_URL = 'https://api.telegram.org';

export interface TelegramConfig {
  botToken: string;
  /** Telegram's Bot API by default; a local Bot API server, a proxy or a test's fake otherwise. */
  apiBaseUrl?: string;
  /** Per request (default 15 s; sendDocument uploads get twice that). */
  timeoutMs?: number;
}

export type TelegramParseMode = 'HTML' | 'MarkdownV2';

export interface TelegramChannel {
  /** Text already escaped for `parseMode` (escapeTelegramHtml / escapeTelegramMarkdownV2); plain text without one. */
  sendMessage(message: { chatId: string; text: string; parseMode?: TelegramParseMode }): Promise<{ messageId: number }>;
  sendDocument(message: {
    chatId: string;
    document: Attachment;
    caption?: string;
    parseMode?: TelegramParseMode;
  }): Promise<{ messageId: number }>;
}

/** Telegram's answer: `{ ok, result }` or `{ ok: false, error_code, description, parameters }`. */
interface BotApiReply {
  ok?: boolean;
  result?: { message_id?: number };
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** Telegram's limits: longer is refused with a 400, so it is refused here with the reason. */
export const TELEGRAM_MAX_TEXT = 4096;
export const TELEGRAM_MAX_CAPTION = 1024;

/**
 * A Bot API answer turned into a DeliveryError: 429 is transient and carries retry_after; other 4xx
 * (bad token, chat not found, bot blocked by the user) are permanent; 5xx transient.
 */
export function classifyTelegramReply(
  status: number,
  reply: BotApiReply | null,
  retryAfterHeader?: string | null,
): DeliveryError {
  const code = reply?.error_code ?? status;
  const description = reply?.description ?? `HTTP ${status}`;
  if (code === 429) {
    const seconds = reply?.parameters?.retry_after ?? Number(retryAfterHeader);
    return new DeliveryError(`Telegram: ${description}`, {
      kind: 'transient',
      code: 'telegram_429',
      ...(Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}),
    });
  }
  if (code >= 400 && code < 500) {
    const migrated = reply?.parameters?.migrate_to_chat_id;
    return new DeliveryError(`Telegram: ${description}${migrated ? ` (the chat is now ${migrated})` : ''}`, {
      kind: 'permanent',
      code: `telegram_${code}`,
    });
  }
  return new DeliveryError(`Telegram: ${description}`, { kind: 'transient', code: `telegram_${code}` });
}

/** The Bot API over fetch. The token is in the request path only: no error message carries the URL. */
export function createTelegramChannel(config: TelegramConfig): TelegramChannel {
  const base = (config.apiBaseUrl ?? TELEGRAM_API_BASE_URL).replace(/\/+$/, '');
  const timeoutMs = config.timeoutMs ?? 15_000;

  async function call(method: string, body: string | FormData, timeout: number): Promise<{ messageId: number }> {
    let res: Response;
    try {
      res = await fetch(`${base}/bot${config.botToken}/${method}`, {
        method: 'POST',
        headers: typeof body === 'string' ? { 'content-type': 'application/json' } : undefined,
        body,
        signal: AbortSignal.timeout(timeout),
      });
    } catch (e) {
      const kind = isNetworkError(e) ? 'network' : 'request';
      // fetch's own message ("fetch failed") says nothing; its cause says what happened.
      const inner = typeof e === 'object' && e !== null ? (e as { cause?: unknown }).cause : undefined;
      const cause = inner ? `: ${messageOf(inner)}` : '';
      const message = `Telegram ${method}: ${messageOf(e)}${cause}`;
      throw new DeliveryError(message.split(config.botToken).join('<token>'), {
        kind: 'transient',
        code: kind,
        cause: e,
      });
    }
    const raw = await res.text().catch(() => '');
    let reply: BotApiReply | null = null;
    try {
      reply = JSON.parse(raw) as BotApiReply;
    } catch {
      reply = null;
    }
    if (res.ok && reply?.ok === true && typeof reply.result?.message_id === 'number') {
      return { messageId: reply.result.message_id };
    }
    if (res.ok && !reply) {
      // A 2xx that is not the Bot API's JSON: a proxy or captive portal in the way; may pass later.
      throw new DeliveryError(`Telegram ${method}: HTTP ${res.status} with an answer that is not the Bot API's JSON`, {
        kind: 'transient',
        code: 'telegram_bad_reply',
      });
    }
    throw classifyTelegramReply(
      res.ok ? (reply?.error_code ?? 500) : res.status,
      reply,
      res.headers.get('retry-after'),
    );
  }

  const tooLong = (what: string, max: number) =>
    new DeliveryError(`Telegram: ${what} longer than ${max} characters`, {
      kind: 'permanent',
      code: 'telegram_too_long',
    });

  return {
    async sendMessage({ chatId, text, parseMode }) {
      if (text.length > TELEGRAM_MAX_TEXT) throw tooLong('message', TELEGRAM_MAX_TEXT);
      const body = JSON.stringify({
        chat_id: chatId,
        text,
        ...(parseMode ? { parse_mode: parseMode } : {}),
        // The event link would otherwise unfurl into a preview of the sign-in page.
        link_preview_options: { is_disabled: true },
      });
      return call('sendMessage', body, timeoutMs);
    },
    async sendDocument({ chatId, document, caption, parseMode }) {
      if (caption && caption.length > TELEGRAM_MAX_CAPTION) throw tooLong('caption', TELEGRAM_MAX_CAPTION);
      const form = new FormData();
      form.set('chat_id', chatId);
      const bytes = typeof document.content === 'string' ? Buffer.from(document.content) : document.content;
      form.set(
        'document',
        new Blob([new Uint8Array(bytes)], { type: document.contentType ?? 'application/octet-stream' }),
        document.filename,
      );
      if (caption) form.set('caption', caption);
      if (caption && parseMode) form.set('parse_mode', parseMode);
      return call('sendDocument', form, timeoutMs * 2);
    },
  };
}
