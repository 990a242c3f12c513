import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

export interface HttpServerHandle {
  server: http.Server;
  port: number;
  /** Requests being answered right now. */
  inFlight(): number;
  /**
   * Waits for in-flight requests to finish (for up to `graceMs`) while still listening, so probes keep
   * answering and the app can turn late arrivals away with a clear 503; then closes the listener and
   * cuts whatever is left.
   */
  close(graceMs: number): Promise<{ timedOut: boolean }>;
}

export async function startHttpServer(
  listener: RequestListener,
  options: { port: number; host?: string; keepAliveTimeoutMs?: number },
): Promise<HttpServerHandle> {
  const server = http.createServer(listener);
  // Above a typical load balancer's idle timeout, so it never reuses a socket we just closed.
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  server.on('request', (_req, res) => {
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) onIdle?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const close = async (graceMs: number) => {
    let timedOut = false;
    if (inFlight > 0) {
      const idle = new Promise<void>((resolve) => (onIdle = resolve));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, graceMs);
      });
      await Promise.race([idle, grace]);
      clearTimeout(timer);
    }
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    return { timedOut };
  };

  return { server, port: (server.address() as AddressInfo).port, inFlight: () => inFlight, close };
}
