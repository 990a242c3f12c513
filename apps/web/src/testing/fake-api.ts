/** A scripted API for component tests: routes answer `{ status, body }`; every request is recorded. */
export type Handler = (req: {
  method: string;
  url: string;
  body: unknown;
  headers: Record<string, string>;
}) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;

export function fakeApi(routes: Record<string, Handler>) {
  const requests: { method: string; url: string; body: unknown; headers: Record<string, string> }[] = [];
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    const method = init.method ?? 'GET';
    const headers = { ...(init.headers as Record<string, string>) };
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const req = { method, url, body, headers };
    requests.push(req);
    const path = url.split('?')[0];
    const handler = routes[`${method} ${path}`];
    const answer = handler
      ? await handler(req)
      : { status: 404, body: { error: { code: 'not_found', message: path } } };
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    // The part of Response the client reads (jsdom has no fetch of its own).
    return {
      status: answer.status,
      ok: answer.status >= 200 && answer.status < 300,
      text: async () => text,
      blob: async () => new Blob([text]),
      body: null,
    } as unknown as Response;
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

export const demoUser = {
  id: '0b7a1a8e-3a51-4a4e-9a53-2f9b2f5a0c11',
  email: 'demo@example.com',
  name: 'Demo Admin',
  role: 'admin' as const,
  organization: { id: '6d0e4d55-9b2a-4f5e-8a2a-1f7c3e9d8b22', name: 'Demo' },
};

export const tokenAnswer = (accessToken: string, expiresIn = 900) => ({
  status: 200,
  body: { accessToken, tokenType: 'Bearer', expiresIn, user: demoUser },
});
