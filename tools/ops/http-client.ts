// Test support for the deployment suites (gateway, images, compose, chart, workflows).
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import zlib from 'node:zlib';

/** Fails with what to install when a program the operations tests drive is missing. */
export function requireProgram(name: string, versionArgs: string[], install: string): void {
  const probe = spawnSync(name, versionArgs, { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error(`${name} is not available (${probe.error?.message ?? probe.stderr}); ${install}`);
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, gunzipped when the server compressed it. */
  body: string;
  /** What travelled on the wire, before any gunzip. */
  rawLength: number;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** TLS settings for https URLs (the test CA, versions). */
  tls?: ConnectionOptions;
  timeoutMs?: number;
}

/** One HTTP(S) request with node's own client (fetch cannot trust a test CA or pin TLS versions). */
export function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const client = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      u,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ...(u.protocol === 'https:' ? options.tls : {}),
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const body = res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: body.toString('utf8'),
            rawLength: raw.length,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
