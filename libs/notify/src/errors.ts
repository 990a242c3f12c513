/**
 * Why a send failed, and whether trying again can help. Permanent: the same request will fail the
 * same way (bad token, chat not found, mailbox rejected); transient: the receiver or the network may
 * be fine later (timeouts, 5xx, rate limits, SMTP 4xx).
 */
export type FailureKind = 'permanent' | 'transient';

export class DeliveryError extends Error {
  readonly kind: FailureKind;
  /** Short and stable, for the delivery log and metrics: `telegram_429`, `smtp_550`, `network`… */
  readonly code: string;
  /** The receiver's own wait (Telegram's retry_after), when it gave one. */
  readonly retryAfterMs?: number;

  constructor(message: string, options: { kind: FailureKind; code: string; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'DeliveryError';
    this.kind = options.kind;
    this.code = options.code;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** Error codes of Node and nodemailer that mean "could not talk to the server", not "the server said no". */
const NETWORK_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const errorCode = (e: unknown): string | undefined => {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Whether an error (or the error it wraps, as fetch does) is about the connection. Duck-typed, not
 * `instanceof Error`: fetch's errors may come from another realm (a test runner's sandbox).
 */
export function isNetworkError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 5; depth++) {
    const code = errorCode(cur);
    if (code && NETWORK_CODES.has(code)) return true;
    const name = (cur as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** An error's message, also for errors of another realm and for non-errors. */
export function messageOf(e: unknown): string {
  const message = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(e);
}

/**
 * An error of nodemailer's SMTP transport, classified by the server's reply code when there is one
 * (5xx permanent, 4xx transient, RFC 5321 §4.2.1), else by whether the connection failed. Anything
 * else (no recipient, a message nodemailer cannot build) is permanent: retrying cannot change it.
 */
export function classifySmtpError(e: unknown): DeliveryError {
  if (e instanceof DeliveryError) return e;
  const message = messageOf(e);
  const responseCode = (e as { responseCode?: unknown } | null)?.responseCode;
  if (typeof responseCode === 'number' && responseCode >= 400 && responseCode < 600) {
    return new DeliveryError(message, {
      kind: responseCode >= 500 ? 'permanent' : 'transient',
      code: `smtp_${responseCode}`,
      cause: e,
    });
  }
  if (isNetworkError(e)) return new DeliveryError(message, { kind: 'transient', code: 'network', cause: e });
  return new DeliveryError(message, {
    kind: 'permanent',
    code: `smtp_${(errorCode(e) ?? 'error').toLowerCase()}`,
    cause: e,
  });
}
