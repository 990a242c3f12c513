/** Text for HTML element content and quoted attribute values: the five characters that can change markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for Telegram's `HTML` parse mode. Telegram recognises only `&lt;`, `&gt;`, `&amp;` and
 * `&quot;` (a `&#39;` would be shown as typed), so the apostrophe is left alone.
 */
export function escapeTelegramHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * Text for Telegram's `MarkdownV2` parse mode outside entities: every character Telegram reserves,
 * and the backslash itself, preceded by a backslash.
 */
export function escapeTelegramMarkdownV2(text: string): string {
  return text.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, '\\$&');
}
