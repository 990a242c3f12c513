import { startHttpServer, type HttpServerHandle } from './http-server';

/** Waits until the server has the requests in hand (a fixed sleep was too short on a loaded CI machine). */
async function untilInFlight(handle: HttpServerHandle, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (handle.inFlight() < count) {
    if (Date.now() > deadline) throw new Error(`only ${handle.inFlight()} of ${count} requests arrived`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('startHttpServer', () => {
  it('lets in-flight requests finish while still answering, then stops listening', async () => {
    let draining = false;
    const handle = await startHttpServer(
      (_req, res) => {
        if (draining) {
          res.statusCode = 503;
          res.end('draining');
        } else setTimeout(() => res.end('done'), 300);
      },
      { port: 0, host: '127.0.0.1' },
    );
    const base = `http://127.0.0.1:${handle.port}`;
    const pending = Array.from({ length: 5 }, () => fetch(base).then((r) => r.text()));
    await untilInFlight(handle, 5);
    expect(handle.inFlight()).toBe(5);
    draining = true;
    const closing = handle.close(5_000);
    expect((await fetch(base)).status).toBe(503);
    expect(await Promise.all(pending)).toEqual(Array(5).fill('done'));
    expect(await closing).toEqual({ timedOut: false });
    await expect(fetch(base)).rejects.toThrow();
  });

  it('cuts requests that outlive the grace period', async () => {
    const handle = await startHttpServer(() => undefined, { port: 0, host: '127.0.0.1' });
    const hanging = fetch(`http://127.0.0.1:${handle.port}`).catch((err: Error) => err);
    await untilInFlight(handle, 1);
    expect(await handle.close(100)).toEqual({ timedOut: true });
    expect(String(await hanging)).toMatch(/fetch failed/);
  });
});
