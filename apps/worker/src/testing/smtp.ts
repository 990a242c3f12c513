import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  port: number;
  /** Messages accepted, in order. */
  received: { mail: ParsedMail; to: string[]; at: number }[];
  /** When each RCPT TO arrived (epoch ms), refused or not. */
  rcptTimes: number[];
  /** RCPT TO of `address` is answered with these reply codes first (then accepted). */
  rejectNextRcpt(address: string, ...codes: number[]): void;
  close(): Promise<void>;
}

/** A real SMTP server on a free port (the `smtp-server` package): keeps and parses what it receives. */
export async function startTestSmtp(): Promise<TestSmtp> {
  const received: TestSmtp['received'] = [];
  const rcptTimes: number[] = [];
  const rcptReplies = new Map<string, number[]>();
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 50 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      rcptTimes.push(Date.now());
      const code = rcptReplies.get(address.address)?.shift();
      if (code) return callback(Object.assign(new Error(`Try again later (${code})`), { responseCode: code }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void simpleParser(Buffer.concat(chunks)).then((mail) => {
          received.push({ mail, to: session.envelope.rcptTo.map((r) => r.address), at: Date.now() });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    rcptTimes,
    rejectNextRcpt: (address, ...codes) => rcptReplies.set(address, codes),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
