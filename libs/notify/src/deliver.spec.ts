import { backoffMs, retryDelayMs } from './backoff';
import type { TelegramChannel } from './channels/telegram';
import { deliver, deliverWithRetries, idempotencyKey, memoryLedger, systemClock, type Notification } from './deliver';
import { classifySmtpError, DeliveryError } from './errors';

const notification: Notification = {
  eventId: 'e1',
  ruleId: 'r1',
  recipient: { telegramChatId: '42' },
  content: { subject: 's', text: 't', html: '<p>t</p>', telegramHtml: '<b>t</b>' },
};

/** A Telegram channel that fails with the given errors in turn, then succeeds; counts its sends. */
function scripted(...errors: DeliveryError[]): TelegramChannel & { sends: number } {
  const channel = {
    sends: 0,
    async sendMessage() {
      channel.sends++;
      const e = errors.shift();
      if (e) throw e;
      return { messageId: channel.sends };
    },
    async sendDocument() {
      return { messageId: 0 };
    },
  };
  return channel;
}

const transient = (code: string, retryAfterMs?: number) =>
  new DeliveryError(code, { kind: 'transient', code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

describe('backoff', () => {
  const policy = { maxAttempts: 10, baseMs: 1_000, maxMs: 60_000 };

  it('doubles from the base up to the cap, half of it random', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, policy, () => 1))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect([1, 2, 3].map((n) => backoffMs(n, policy, () => 0))).toEqual([500, 1_000, 2_000]);
    for (let i = 0; i < 200; i++) {
      const d = backoffMs(3, policy);
      expect(d).toBeGreaterThanOrEqual(2_000);
      expect(d).toBeLessThanOrEqual(4_000);
    }
    // A huge attempt number does not overflow past the cap.
    expect(backoffMs(10_000, policy, () => 1)).toBe(60_000);
  });

  it('gives up on permanent errors and after the last attempt, and honours retry_after above the cap', () => {
    expect(retryDelayMs(1, { kind: 'permanent' }, policy)).toBeNull();
    expect(retryDelayMs(10, { kind: 'transient' }, policy)).toBeNull();
    expect(retryDelayMs(9, { kind: 'transient' }, policy, () => 1)).toBe(60_000);
    expect(retryDelayMs(1, { kind: 'transient', retryAfterMs: 120_000 }, policy)).toBe(120_000);
    expect(retryDelayMs(4, { kind: 'transient', retryAfterMs: 1_000 }, policy, () => 1)).toBe(8_000);
  });
});

describe('classifySmtpError', () => {
  it('reads the reply code first, then the connection, else permanent', () => {
    expect(classifySmtpError(Object.assign(new Error('no'), { code: 'EENVELOPE', responseCode: 550 }))).toMatchObject({
      kind: 'permanent',
      code: 'smtp_550',
    });
    expect(
      classifySmtpError(Object.assign(new Error('later'), { code: 'EENVELOPE', responseCode: 421 })),
    ).toMatchObject({
      kind: 'transient',
      code: 'smtp_421',
    });
    expect(classifySmtpError(Object.assign(new Error('t/o'), { code: 'ETIMEDOUT' }))).toMatchObject({
      kind: 'transient',
      code: 'network',
    });
    expect(classifySmtpError(Object.assign(new Error('No recipients defined'), { code: 'EENVELOPE' }))).toMatchObject({
      kind: 'permanent',
      code: 'smtp_eenvelope',
    });
  });
});

describe('deliver', () => {
  it('keys attempts on event, rule and channel', () => {
    expect(idempotencyKey({ eventId: 'e1', ruleId: 'r1', channel: 'email' })).toBe('e1:r1:email');
  });

  it('turns an unexpected throw into a transient failure (retried, capped), never a rejection', async () => {
    const broken: TelegramChannel = {
      sendMessage: async () => {
        throw new TypeError('boom');
      },
      sendDocument: async () => ({ messageId: 0 }),
    };
    const record = await deliver(notification, 'telegram', {
      channels: { telegram: broken },
      now: () => new Date('2026-01-01T00:00:00Z'),
      random: () => 1,
      policy: { maxAttempts: 2, baseMs: 1_000, maxMs: 10_000 },
    });
    expect(record).toMatchObject({
      status: 'retry',
      attempt: 1,
      error: { kind: 'transient', code: 'unexpected', message: 'boom' },
      nextAttemptAt: new Date('2026-01-01T00:00:01Z'),
    });
  });
});

describe('deliverWithRetries on the system clock (fake timers)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-15T12:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends nothing before the wait is over, then retries', async () => {
    const telegram = scripted(transient('telegram_429', 30_000), transient('telegram_502'));
    const ledger = memoryLedger();
    const done = deliverWithRetries(notification, 'telegram', {
      channels: { telegram },
      ledger,
      clock: systemClock,
      policy: { maxAttempts: 5, baseMs: 4_000, maxMs: 60_000 },
      random: () => 0.5,
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(telegram.sends).toBe(1);
    // retry_after is 30 s: not a moment earlier.
    await jest.advanceTimersByTimeAsync(29_999);
    expect(telegram.sends).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(telegram.sends).toBe(2);
    // Then attempt 2's backoff: 8 s × (½ + ½·0.5) = 6 s.
    await jest.advanceTimersByTimeAsync(5_999);
    expect(telegram.sends).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    const out = await done;
    expect(telegram.sends).toBe(3);
    expect(out.status).toBe('sent');
    expect(ledger.attempts.map((a) => [a.status, a.startedAt.toISOString()])).toEqual([
      ['retry', '2026-01-15T12:00:00.000Z'],
      ['retry', '2026-01-15T12:00:30.000Z'],
      ['sent', '2026-01-15T12:00:36.000Z'],
    ]);
  });
});
