import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { deliver, deliverWithRetries, memoryLedger, type Notification } from '../deliver';
import { DeliveryError } from '../errors';
import { renderEvent } from '../templates';
import { fakeClock } from '../testing/clock';
import { startFakeTelegram } from '../testing/fake-telegram';
import { createTelegramChannel } from './telegram';

const TOKEN = '123456:ABC-secret-token';

let api: Awaited<ReturnType<typeof startFakeTelegram>>;
beforeEach(async () => {
  api = await startFakeTelegram();
});
afterEach(async () => {
  await api.close();
});

const channel = () => createTelegramChannel({ botToken: TOKEN, apiBaseUrl: api.url, timeoutMs: 5_000 });

const failure = async (p: Promise<unknown>): Promise<DeliveryError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) return e;
    throw e;
  }
  throw new Error('expected a DeliveryError');
};

const content = renderEvent(
  {
    id: 'event-1',
    vehicleId: 'vehicle-1',
    type: 'geofence_enter',
    ts: '2026-01-15T21:30:00.000Z',
    lat: 40.4,
    lon: -3.7,
    attributes: {},
    vehicleName: '<script>Van & co</script>',
    geofenceName: 'Depot',
  },
  { language: 'es', timeZone: 'Europe/Madrid', webBaseUrl: 'https://fleet.example.com' },
);

const notification = (extra: Partial<Notification> = {}): Notification => ({
  eventId: 'event-1',
  ruleId: 'rule-1',
  recipient: { telegramChatId: '-100200300' },
  content,
  ...extra,
});

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('Telegram channel against a local Bot API', () => {
  it('sends a message in HTML parse mode to the chat, through the configured base URL', async () => {
    const sent = await channel().sendMessage({ chatId: '-100200300', text: content.telegramHtml, parseMode: 'HTML' });
    expect(sent).toEqual({ messageId: 100 });
    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req!.token).toBe(TOKEN);
    expect(req!.method).toBe('sendMessage');
    expect(req!.json).toMatchObject({
      chat_id: '-100200300',
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    const text = req!.json!['text'] as string;
    expect(text).toContain('<b>&lt;script&gt;Van &amp; co&lt;/script&gt;</b> entró en <b>Depot</b>');
    expect(text).toContain(
      '<a href="https://fleet.example.com/events?vehicleId=vehicle-1&amp;event=event-1">Ver el evento</a>',
    );
  });

  it('sends a document as multipart with its name, type, bytes and caption', async () => {
    const pdf = Buffer.from('%PDF-1.7\n\x00\x01\xff binary');
    await channel().sendDocument({
      chatId: '42',
      document: { filename: 'informe-enero.pdf', content: pdf, contentType: 'application/pdf' },
      caption: '<b>Informe</b>',
      parseMode: 'HTML',
    });
    const form = api.requests[0]!.form!;
    expect(api.requests[0]!.method).toBe('sendDocument');
    expect(form.get('chat_id')).toBe('42');
    expect(form.get('caption')).toBe('<b>Informe</b>');
    expect(form.get('parse_mode')).toBe('HTML');
    const file = form.get('document') as File;
    expect(file.name).toBe('informe-enero.pdf');
    expect(file.type).toBe('application/pdf');
    expect(Buffer.from(await file.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it('treats 429 as transient and keeps retry_after', async () => {
    api.reply({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      },
    });
    const e = await failure(channel().sendMessage({ chatId: '1', text: 'x' }));
    expect(e).toMatchObject({ kind: 'transient', code: 'telegram_429', retryAfterMs: 7_000 });
  });

  it('treats 400 (chat not found) and 401 (bad token) as permanent, without the token in the error', async () => {
    api.reply(
      { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } },
      { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } },
    );
    const notFound = await failure(channel().sendMessage({ chatId: '1', text: 'x' }));
    expect(notFound).toMatchObject({
      kind: 'permanent',
      code: 'telegram_400',
      message: 'Telegram: Bad Request: chat not found',
    });
    const unauthorized = await failure(channel().sendMessage({ chatId: '1', text: 'x' }));
    expect(unauthorized).toMatchObject({ kind: 'permanent', code: 'telegram_401' });
    expect(unauthorized.message).not.toContain(TOKEN);
  });

  it('treats 5xx, and a 2xx that is not the Bot API’s JSON, as transient', async () => {
    api.reply({ status: 502, body: '<html>Bad Gateway</html>' }, { status: 200, body: '<html>portal</html>' });
    expect(await failure(channel().sendMessage({ chatId: '1', text: 'x' }))).toMatchObject({
      kind: 'transient',
      code: 'telegram_502',
    });
    expect(await failure(channel().sendMessage({ chatId: '1', text: 'x' }))).toMatchObject({
      kind: 'transient',
      code: 'telegram_bad_reply',
    });
  });

  it('treats a refused connection as transient, without the token in the error', async () => {
    const port = await closedPort();
    const down = createTelegramChannel({ botToken: TOKEN, apiBaseUrl: `http://127.0.0.1:${port}` });
    const e = await failure(down.sendMessage({ chatId: '1', text: 'x' }));
    expect(e).toMatchObject({ kind: 'transient', code: 'network' });
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).not.toContain(TOKEN);
  });

  it('refuses a message longer than Telegram takes before sending it', async () => {
    expect(await failure(channel().sendMessage({ chatId: '1', text: 'x'.repeat(4097) }))).toMatchObject({
      kind: 'permanent',
      code: 'telegram_too_long',
    });
    expect(api.requests).toHaveLength(0);
  });
});

describe('delivery to Telegram with retries', () => {
  const policy = { maxAttempts: 5, baseMs: 1_000, maxMs: 60_000 };
  const random = () => 0.5;

  it('waits out a 429’s retry_after, retries a 5xx with backoff, then sends once', async () => {
    api.reply(
      {
        status: 429,
        body: { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 30 } },
      },
      { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } },
    );
    const clock = fakeClock();
    const ledger = memoryLedger();
    const out = await deliverWithRetries(notification(), 'telegram', {
      channels: { telegram: channel() },
      ledger,
      clock,
      policy,
      random,
    });
    expect(out.status).toBe('sent');
    expect(out.attempts.map((a) => [a.attempt, a.status, a.error?.code])).toEqual([
      [1, 'retry', 'telegram_429'],
      [2, 'retry', 'telegram_500'],
      [3, 'sent', undefined],
    ]);
    // retry_after (30 s) beats the first backoff (0.75–1 s); then the backoff of attempt 2: 2 s × (½ + ½·0.5).
    expect(clock.sleeps).toEqual([30_000, 1_500]);
    expect(out.attempts[0]!.nextAttemptAt).toEqual(new Date('2026-01-15T12:00:30Z'));
    expect(out.attempts[2]).toMatchObject({
      idempotencyKey: 'event-1:rule-1:telegram',
      providerIds: ['100'],
      partsSent: 1,
    });
    expect(ledger.attempts).toHaveLength(3);
    expect(api.requests).toHaveLength(3);
  });

  it('gives up at once on a permanent error', async () => {
    api.reply({
      status: 403,
      body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
    });
    const clock = fakeClock();
    const out = await deliverWithRetries(notification(), 'telegram', {
      channels: { telegram: channel() },
      ledger: memoryLedger(),
      clock,
      policy,
    });
    expect(out.status).toBe('failed');
    expect(out.attempts).toHaveLength(1);
    expect(out.attempts[0]!.error).toEqual({
      kind: 'permanent',
      code: 'telegram_403',
      message: 'Telegram: Forbidden: bot was blocked by the user',
    });
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up after the last attempt, the waits doubling up to the cap', async () => {
    const down = { status: 503, body: { ok: false, error_code: 503, description: 'Service Unavailable' } };
    api.reply(down, down, down, down, down);
    const clock = fakeClock();
    const out = await deliverWithRetries(notification(), 'telegram', {
      channels: { telegram: channel() },
      ledger: memoryLedger(),
      clock,
      policy: { maxAttempts: 5, baseMs: 1_000, maxMs: 5_000 },
      random: () => 1,
    });
    expect(out.status).toBe('failed');
    expect(out.attempts.map((a) => a.status)).toEqual(['retry', 'retry', 'retry', 'retry', 'failed']);
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000, 5_000]);
    expect(api.requests).toHaveLength(5);
  });

  it('sends at most one notification per event, rule and channel', async () => {
    const ledger = memoryLedger();
    const options = { channels: { telegram: channel() }, ledger, clock: fakeClock(), policy };
    expect((await deliverWithRetries(notification(), 'telegram', options)).status).toBe('sent');
    expect(await deliverWithRetries(notification(), 'telegram', options)).toEqual({
      status: 'duplicate',
      attempts: [],
    });
    // Concurrent duplicates too: only one of them sends.
    const both = await Promise.all([
      deliverWithRetries(notification({ eventId: 'event-2' }), 'telegram', options),
      deliverWithRetries(notification({ eventId: 'event-2' }), 'telegram', options),
    ]);
    expect(both.map((o) => o.status).sort()).toEqual(['duplicate', 'sent']);
    // Another rule on the same event is its own notification.
    expect((await deliverWithRetries(notification({ ruleId: 'rule-2' }), 'telegram', options)).status).toBe('sent');
    expect(api.requests).toHaveLength(3);
  });

  it('sends attachments as documents after the message, not repeating the message when a document is retried', async () => {
    api.reply(
      { status: 200, body: { ok: true, result: { message_id: 1 } } },
      { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } },
    );
    const out = await deliverWithRetries(
      notification({ attachments: [{ filename: 'report.csv', content: 'a,b\n1,2\n', contentType: 'text/csv' }] }),
      'telegram',
      { channels: { telegram: channel() }, ledger: memoryLedger(), clock: fakeClock(), policy },
    );
    expect(out.status).toBe('sent');
    expect(api.requests.map((r) => r.method)).toEqual(['sendMessage', 'sendDocument', 'sendDocument']);
    expect(out.attempts.at(-1)).toMatchObject({ attempt: 2, partsSent: 2, providerIds: ['1', '100'] });
  });

  it('fails permanently without a chat id or without a configured bot', async () => {
    const none = await deliver(notification({ recipient: {} }), 'telegram', { channels: { telegram: channel() } });
    expect(none).toMatchObject({ status: 'failed', error: { kind: 'permanent', code: 'no_recipient' } });
    const off = await deliver(notification(), 'telegram', { channels: {} });
    expect(off).toMatchObject({ status: 'failed', error: { kind: 'permanent', code: 'channel_not_configured' } });
    expect(api.requests).toHaveLength(0);
  });
});
