// Test-only helpers of the driver specs (imported by *.spec.ts(x) only).
import type { TrackerProvisioning } from '@fleet/contracts';
import { SqlJsDatabase, type SqlJsPersistence } from '@fleet/tracker/testing';
import { DriverTracker } from '../tracker';
import { DEFAULT_TRACKER_SETTINGS } from '@fleet/contracts';

export const PROVISIONING: TrackerProvisioning = {
  version: 1,
  serverUrl: 'https://fleet.example.test',
  deviceToken: 'dev_0123456789abcdef',
  vehicleName: 'Truck 7',
  vehicleId: '0b8f4c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e',
};

export interface Sent {
  url: string;
  method: string;
  authorization: string | null;
  body: unknown;
}

/** A server answering every request with `status` (and `body`), recording what was sent. */
export function fakeServer(status: number, body: unknown = {}) {
  const sent: Sent[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      authorization: headers.get('authorization'),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { impl, sent };
}

/** A real tracker (FixQueue on sql.js, the real Sampler and Uploader) talking to `fetch`. */
export async function realTracker(fetch: typeof globalThis.fetch, persistence?: SqlJsPersistence) {
  return DriverTracker.open({
    provisioning: PROVISIONING,
    settings: { ...DEFAULT_TRACKER_SETTINGS },
    db: await SqlJsDatabase.open(persistence),
    fetch,
  });
}

/** An expo-location fix `secondsAfter` a start, `metresNorth` of a point in Madrid. */
export function location(start: number, secondsAfter: number, metresNorth = 0, speedMps = 10) {
  return {
    coords: {
      latitude: 40.4168 + metresNorth / 111_320,
      longitude: -3.7038,
      accuracy: 8,
      altitude: 650,
      heading: 0,
      speed: speedMps,
    },
    timestamp: start + secondsAfter * 1000,
  };
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/**
 * A server answering each request with the next scripted answer (the last one repeats; an Error is a
 * network failure), recording what was sent.
 */
export function scriptedServer(answers: Answer[]) {
  const sent: Sent[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      authorization: headers.get('authorization'),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (answer instanceof Error) throw answer;
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  }) as typeof fetch;
  /** The positions of each POST /api/v1/positions, in order. */
  const batches = () =>
    sent
      .filter((s) => s.url.endsWith('/api/v1/positions'))
      .map((s) => (s.body as { positions: Array<{ ts: string; lat: number }> }).positions);
  return { impl, sent, batches };
}

export const accepted = (n = 1): Answer => ({ status: 202, body: { accepted: n, batchId: 'b', duplicates: 0 } });
export const refused = (status: number, code: string, details?: Array<{ path: string; message: string }>): Answer => ({
  status,
  body: { error: { code, message: `${code} answer`, details } },
});
