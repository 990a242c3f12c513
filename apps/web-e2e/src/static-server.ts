import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export type ApiHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * The built web app as nginx serves it in production: files (gzipped when the browser accepts it),
 * `index.html` for every other path (SPA routing), `/config.json` from the given object, and `/api/*`
 * handed to `api` (a proxy to the real API, or a fake one in the performance script).
 */
export async function serveWeb(options: {
  dir: string;
  api: ApiHandler;
  config?: Record<string, unknown>;
}): Promise<StaticServer> {
  const gzCache = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/api/')) return options.api(req, res);
    if (url.pathname === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify(options.config ?? {}));
    }
    // Tiles that never load: the map must work without them (no network here anyway).
    if (url.pathname.startsWith('/no-tiles/')) {
      res.writeHead(404);
      return res.end();
    }
    let file = path.join(options.dir, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(options.dir) || !existsSync(file) || statSync(file).isDirectory())
      file = path.join(options.dir, 'index.html');
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const gzip =
      /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && /\.(js|css|html|json|svg)$/.test(file);
    if (gzip) {
      let body = gzCache.get(file);
      if (!body) gzCache.set(file, (body = gzipSync(readFileSync(file))));
      res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', 'content-length': body.length });
      return res.end(body);
    }
    res.writeHead(200, { 'content-type': type });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Passes `/api/*` to the API at `target`, streaming both ways (the live stream stays open). */
export function proxyTo(target: string): ApiHandler {
  const base = new URL(target);
  return (req, res) => {
    const upstream = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: base.host, 'x-forwarded-for': '127.0.0.1' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };
}
