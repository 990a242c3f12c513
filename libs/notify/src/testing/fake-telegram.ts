import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake Bot API received: the method (sendMessage…), and its JSON or multipart body. */
export interface TelegramRequest {
  token: string;
  method: string;
  json?: Record<string, unknown>;
  form?: FormData;
}

export interface ScriptedReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const read = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/**
 * A local stand-in for the Bot API: answers each request with the next scripted reply (then with
 * success), and keeps what it received.
 */
export async function startFakeTelegram(): Promise<{
  url: string;
  requests: TelegramRequest[];
  reply(...replies: ScriptedReply[]): void;
  close(): Promise<void>;
}> {
  const requests: TelegramRequest[] = [];
  const script: ScriptedReply[] = [];
  let nextId = 100;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      const type = req.headers['content-type'] ?? '';
      const request: TelegramRequest = { token: m?.[1] ?? '', method: m?.[2] ?? '' };
      if (type.startsWith('application/json')) request.json = JSON.parse(body.toString('utf8'));
      else if (type.startsWith('multipart/form-data')) {
        request.form = await new Response(body, { headers: { 'content-type': type } }).formData();
      }
      requests.push(request);
      const reply = script.shift() ?? { status: 200, body: { ok: true, result: { message_id: nextId++ } } };
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => script.push(...replies),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
