export const REDACTED = '[REDACTED]';

// Keys whose values are secrets wherever they appear in a log record, at any depth.
const SECRET_KEY = /(authorization|password|passwd|secret|token|cookie|api[-_]?key|credential|private[-_]?key)/i;
// Credentials that can hide inside free text: "Bearer x", "Basic x", a JWT, user:pass@ in a URL.
const SECRET_TEXT: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  [/(\/\/[^:/@\s]+:)[^@/\s]+@/g, `$1${REDACTED}@`],
  [/((?:password|passwd|secret|token)=)[^&\s]+/gi, `$1${REDACTED}`],
  // Our random credentials are 32 bytes in base64url (43 characters): device, refresh and invitation
  // tokens, and share links, whose token is a path segment (/api/v1/shared/<token>) the access log keeps.
  [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, REDACTED],
];

export interface RedactOptions {
  /** Exact secret values (JWT_SECRET, database password…) scrubbed from every string. */
  secrets?: readonly string[];
}

function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

/** Returns a deep copy of `value` with secrets replaced; never mutates its input. */
export function redact(value: unknown, options: RedactOptions = {}, seen = new WeakSet<object>()): unknown {
  const secrets = options.secrets ?? [];
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactText(value.message, secrets),
      stack: value.stack && redactText(value.stack, secrets),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, options, seen));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && item !== undefined && item !== null && item !== ''
        ? REDACTED
        : redact(item, options, seen);
  }
  return out;
}
