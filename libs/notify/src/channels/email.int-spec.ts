import { createServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { deliver, deliverWithRetries, memoryLedger, type Notification } from '../deliver';
import { DeliveryError } from '../errors';
import { renderEvent } from '../templates';
import { fakeClock } from '../testing/clock';
import { createEmailChannel, type SmtpConfig } from './email';

interface Received {
  mail: ParsedMail;
  raw: Buffer;
  from: string | undefined;
  to: string[];
  user: string | undefined;
  secure: boolean;
}

/**
 * A real SMTP server on a free port: accepts user "fleet" / "s3cret", keeps what it receives, and
 * answers RCPT TO with the scripted reply codes first (then accepts).
 */
async function startSmtp(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const rcptReplies: number[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'fleet' && auth.password === 's3cret') return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      const code = rcptReplies.shift();
      if (code) return callback(Object.assign(new Error(`Mailbox unavailable (${code})`), { responseCode: code }));
      return callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        void simpleParser(raw).then((mail) => {
          received.push({
            mail,
            raw,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === 'string' ? session.user : undefined,
            secure: session.secure,
          });
          callback();
        }, callback);
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    rejectNextRcpt: (...codes: number[]) => rcptReplies.push(...codes),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let smtp: Awaited<ReturnType<typeof startSmtp>>;
afterEach(async () => {
  await smtp?.close();
});

const config = (extra: Partial<SmtpConfig> = {}): SmtpConfig => ({
  host: '127.0.0.1',
  port: smtp.port,
  secure: false,
  user: 'fleet',
  password: 's3cret',
  from: '"Fleet" <alerts@fleet.example.com>',
  timeoutMs: 5_000,
  ...extra,
});

const content = renderEvent(
  {
    id: 'event-1',
    vehicleId: 'vehicle-1',
    type: 'overspeed',
    ts: '2026-03-29T05:30:00.000Z',
    lat: 40.41678,
    lon: -3.70379,
    attributes: { speedKmh: 97, limitKmh: 80 },
    vehicleName: '<script>alert(1)</script> Furgón',
    geofenceName: null,
  },
  { language: 'es', timeZone: 'Europe/Madrid', webBaseUrl: 'https://fleet.example.com' },
);

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from([0, 1, 2, 0xfe, 0xff]), Buffer.from('\n%%EOF\n')]);
const CSV = 'vehículo,km\n"Furgón 1",12.5\n';

const notification = (extra: Partial<Notification> = {}): Notification => ({
  eventId: 'event-1',
  ruleId: 'rule-1',
  recipient: { email: 'ana@example.com' },
  content,
  ...extra,
});

const failure = async (p: Promise<unknown>): Promise<DeliveryError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) return e;
    throw e;
  }
  throw new Error('expected a DeliveryError');
};

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('e-mail channel against a real SMTP server', () => {
  it('delivers text + HTML with a PDF and a CSV attached, authenticated, from the configured sender', async () => {
    smtp = await startSmtp();
    const channel = createEmailChannel(config());
    const record = await deliver(
      notification({
        attachments: [
          { filename: 'informe.pdf', content: PDF, contentType: 'application/pdf' },
          { filename: 'viajes.csv', content: CSV, contentType: 'text/csv; charset=utf-8' },
        ],
      }),
      'email',
      { channels: { email: channel } },
    );
    channel.close();
    expect(record).toMatchObject({ status: 'sent', attempt: 1, partsSent: 1, idempotencyKey: 'event-1:rule-1:email' });

    expect(smtp.received).toHaveLength(1);
    const [{ mail, from, to, user }] = smtp.received as [Received];
    expect(user).toBe('fleet');
    expect(from).toBe('alerts@fleet.example.com');
    expect(to).toEqual(['ana@example.com']);
    expect(mail.from?.text).toBe('"Fleet" <alerts@fleet.example.com>');
    expect(mail.subject).toBe('<script>alert(1)</script> Furgón circuló a 97 km/h, por encima de su límite');
    expect(mail.messageId).toBe(record.providerIds[0]);
    expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@fleet\.example\.com>$/);

    expect(mail.text).toContain('Velocidad: 97 km/h (límite 80 km/h)');
    // 05:30 UTC on the first day of summer time is 07:30 CEST in Madrid.
    expect(mail.text).toContain('Cuándo: 29 mar 2026, 07:30 CEST');
    expect(mail.text).toContain('Ver el evento: https://fleet.example.com/events?vehicleId=vehicle-1&event=event-1');
    expect(mail.html).toBeTruthy();
    const html = mail.html as string;
    expect(html).toContain('<strong>&lt;script&gt;alert(1)&lt;/script&gt; Furgón</strong>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="https://fleet.example.com/events?vehicleId=vehicle-1&amp;event=event-1"');

    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['informe.pdf', 'application/pdf'],
      ['viajes.csv', 'text/csv'],
    ]);
    expect(mail.attachments[0]!.content.equals(PDF)).toBe(true);
    expect(mail.attachments[1]!.content.toString('utf8')).toBe(CSV);
  });

  it('gives a retried notification the same Message-ID', async () => {
    smtp = await startSmtp();
    const channel = createEmailChannel(config());
    const a = await channel.send({ to: 'a@example.com', subject: 's', text: 't', idempotencyKey: 'e:r:email' });
    const b = await channel.send({ to: 'a@example.com', subject: 's', text: 't', idempotencyKey: 'e:r:email' });
    const c = await channel.send({ to: 'a@example.com', subject: 's', text: 't', idempotencyKey: 'e:r2:email' });
    channel.close();
    expect(a.messageId).toBe(b.messageId);
    expect(c.messageId).not.toBe(a.messageId);
    expect(smtp.received.map((r) => r.mail.messageId)).toEqual([a.messageId, a.messageId, c.messageId]);
  });

  it('upgrades with STARTTLS when the server offers it', async () => {
    smtp = await startSmtp({ disabledCommands: [], allowInsecureAuth: false });
    // The test server's certificate is self-signed.
    const channel = createEmailChannel(config({ requireTls: true, rejectUnauthorized: false }));
    await channel.send({ to: 'a@example.com', subject: 'tls', text: 't' });
    channel.close();
    expect(smtp.received[0]).toMatchObject({ secure: true, user: 'fleet' });
  });

  it('classifies 5xx as permanent and 4xx as transient', async () => {
    smtp = await startSmtp();
    smtp.rejectNextRcpt(550, 451);
    const channel = createEmailChannel(config());
    const rejected = await failure(channel.send({ to: 'gone@example.com', subject: 's', text: 't' }));
    expect(rejected).toMatchObject({ kind: 'permanent', code: 'smtp_550' });
    const later = await failure(channel.send({ to: 'busy@example.com', subject: 's', text: 't' }));
    expect(later).toMatchObject({ kind: 'transient', code: 'smtp_451' });
    channel.close();
    expect(smtp.received).toHaveLength(0);
  });

  it('treats a wrong password as permanent and a refused connection as transient', async () => {
    smtp = await startSmtp();
    const wrong = createEmailChannel(config({ password: 'nope' }));
    expect(await failure(wrong.send({ to: 'a@example.com', subject: 's', text: 't' }))).toMatchObject({
      kind: 'permanent',
      code: 'smtp_535',
    });
    wrong.close();
    const down = createEmailChannel(config({ port: await closedPort() }));
    expect(await failure(down.send({ to: 'a@example.com', subject: 's', text: 't' }))).toMatchObject({
      kind: 'transient',
      code: 'network',
    });
    down.close();
  });

  it('retries a 4xx with backoff and delivers exactly one message', async () => {
    smtp = await startSmtp();
    smtp.rejectNextRcpt(452);
    const channel = createEmailChannel(config());
    const clock = fakeClock();
    const out = await deliverWithRetries(notification(), 'email', {
      channels: { email: channel },
      ledger: memoryLedger(),
      clock,
      policy: { maxAttempts: 3, baseMs: 10_000, maxMs: 60_000 },
      random: () => 0,
    });
    channel.close();
    expect(out.status).toBe('sent');
    expect(out.attempts.map((a) => [a.status, a.error?.code])).toEqual([
      ['retry', 'smtp_452'],
      ['sent', undefined],
    ]);
    expect(clock.sleeps).toEqual([5_000]);
    expect(smtp.received).toHaveLength(1);
  });

  it('fails permanently when the recipient has no address', async () => {
    smtp = await startSmtp();
    const channel = createEmailChannel(config());
    const record = await deliver(notification({ recipient: { telegramChatId: '1' } }), 'email', {
      channels: { email: channel },
    });
    channel.close();
    expect(record).toMatchObject({ status: 'failed', error: { kind: 'permanent', code: 'no_recipient' } });
  });
});
