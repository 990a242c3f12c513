import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { classifySmtpError } from '../errors';
import type { Attachment } from '../types';

export interface SmtpConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). When false, STARTTLS is used if the server offers it. */
  secure: boolean;
  /** Refuse to send without STARTTLS (secure = false and a server that must not see plain text). */
  requireTls?: boolean;
  user?: string;
  password?: string;
  /** The From header: `"Fleet" <fleet@example.com>`. */
  from: string;
  /** Connection, greeting and socket inactivity timeout (default 30 s). */
  timeoutMs?: number;
  /** Verify the server's certificate (default true; false only for a test or self-signed relay). */
  rejectUnauthorized?: boolean;
}

export interface EmailMessage {
  to: string | readonly string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: readonly Attachment[];
  /**
   * Stable across retries of the same notification (the idempotency key): it becomes the Message-ID,
   * so a retry after a lost "250 OK" is recognisable as the same message by the receiving side.
   */
  idempotencyKey?: string;
}

export interface EmailChannel {
  /** Sends one message; resolves with the Message-ID; throws a classified DeliveryError. */
  send(message: EmailMessage): Promise<{ messageId: string }>;
  close(): void;
}

/** The From address's domain, for Message-IDs that look like the sender's own. */
const domainOf = (from: string) => /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'fleet.invalid';

/** E-mail over SMTP: multipart text + HTML, attachments as given (a report's PDF and CSV). */
export function createEmailChannel(config: SmtpConfig): EmailChannel {
  const timeout = config.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: config.requireTls ?? false,
    auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    tls: { rejectUnauthorized: config.rejectUnauthorized ?? true },
  });
  const domain = domainOf(config.from);

  return {
    async send(message) {
      const messageId = message.idempotencyKey
        ? `<${createHash('sha256').update(message.idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`
        : undefined;
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: typeof message.to === 'string' ? message.to : [...message.to],
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId,
          attachments: message.attachments?.map((a) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
          })),
        });
        return { messageId: String(info.messageId ?? messageId ?? '') };
      } catch (e) {
        throw classifySmtpError(e);
      }
    },
    close() {
      transport.close();
    },
  };
}
