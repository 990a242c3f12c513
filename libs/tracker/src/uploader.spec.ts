import { ApiError, FleetApi } from '@fleet/api-client';
import type { PositionInput } from '@fleet/contracts';
import { ResponseHints } from './backoff';
import { FixQueue } from './queue';
import { SqlJsDatabase } from './testing';
import { Uploader, type UploaderOptions } from './uploader';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const fix = (i: number): PositionInput => ({
  ts: new Date(NOW - 100_000_000 + i * 1000).toISOString(),
  lat: 40,
  lon: i / 1e4,
});

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;
const accepted = (n = 1): Answer => ({ status: 202, body: { accepted: n, batchId: 'b', duplicates: 0 } });
const failure = (status: number, code: string, details?: Array<{ path: string; message: string }>): Answer => ({
  status,
  body: { error: { code, message: `${code} answer`, details } },
});

/** A FleetApi on a scripted fetch: each request takes the next answer (the last one repeats). */
async function setup(answers: Answer[], count: number, options: Partial<UploaderOptions> = {}) {
  const db = await SqlJsDatabase.open();
  const queue = await FixQueue.open(db);
  await queue.enqueueMany(Array.from({ length: count }, (_, i) => fix(i)));
  const requests: Array<{ positions: PositionInput[]; authorization: string | null }> = [];
  const hints = new ResponseHints();
  const fetch = hints.wrap(async (_url, init) => {
    const body = JSON.parse(String(init?.body)) as { positions: PositionInput[] };
    requests.push({ positions: body.positions, authorization: new Headers(init?.headers).get('authorization') });
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (answer instanceof Error) throw answer;
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  });
  const api = new FleetApi({ baseUrl: 'http://fleet.test', getToken: () => 'device-token', fetch });
  const sleeps: number[] = [];
  const uploader = new Uploader({
    queue,
    api,
    hints,
    random: () => 0,
    backoff: { baseMs: 1000, maxMs: 60_000 },
    sleep: async (ms) => void sleeps.push(ms),
    ...options,
  });
  return { queue, uploader, requests, sleeps };
}

describe('Uploader', () => {
  it('sends the queue oldest first in batches of up to 1,000 with the device token, deleting after each 2xx', async () => {
    const { queue, uploader, requests } = await setup([accepted()], 2500);
    const result = await uploader.drain();
    expect(result).toMatchObject({ end: 'empty', sent: 2500, requests: 3, retries: 0 });
    expect(requests.map((r) => r.positions.length)).toEqual([1000, 1000, 500]);
    expect(requests[1].positions[0]).toEqual(fix(1000));
    expect(requests.every((r) => r.authorization === 'Bearer device-token')).toBe(true);
    expect(await queue.count()).toBe(0);
    expect(uploader.status.lastUploadAt).toBeDefined();
  });

  it('keeps a batch whose answer was lost and sends the same fixes again', async () => {
    const { queue, uploader, requests } = await setup([new TypeError('socket hang up'), accepted()], 10);
    const result = await uploader.drain();
    expect(result).toMatchObject({ end: 'empty', sent: 10, retries: 1 });
    expect(requests).toHaveLength(2);
    expect(requests[1].positions).toEqual(requests[0].positions);
    expect(await queue.count()).toBe(0);
  });

  it('waits as long as Retry-After says on a 503, then resends (fake timers)', async () => {
    jest.useFakeTimers({ now: NOW });
    try {
      const { queue, uploader, requests } = await setup(
        [{ ...(failure(503, 'unavailable') as object), status: 503, headers: { 'retry-after': '7' } }, accepted()],
        5,
        { sleep: undefined, now: () => Date.now() },
      );
      const drained = uploader.drain();
      await jest.advanceTimersByTimeAsync(6_999);
      expect(requests).toHaveLength(1);
      expect(uploader.status.retryAt).toBe(NOW + 7_000);
      await jest.advanceTimersByTimeAsync(1);
      await expect(drained).resolves.toMatchObject({ end: 'empty', sent: 5, retries: 1 });
      expect(requests).toHaveLength(2);
      expect(await queue.count()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('honours an HTTP-date Retry-After on a 429', async () => {
    const date = new Date(NOW + 42_000).toUTCString();
    const { uploader, sleeps } = await setup(
      [{ ...(failure(429, 'rate_limited') as object), status: 429, headers: { 'retry-after': date } }, accepted()],
      3,
      { now: () => NOW },
    );
    await uploader.drain();
    expect(sleeps).toEqual([42_000]);
  });

  it('backs off exponentially with jitter while the server fails, and starts over after a success', async () => {
    const answers = [
      failure(503, 'unavailable'),
      failure(500, 'internal'),
      new TypeError('fetch failed'),
      failure(502, 'internal'),
      accepted(),
      failure(503, 'unavailable'),
      accepted(),
    ];
    const { uploader, sleeps } = await setup(answers, 1500, { random: () => 0.5 });
    const result = await uploader.drain();
    expect(result).toMatchObject({ end: 'empty', sent: 1500, retries: 5 });
    // Equal jitter with random 0.5: three quarters of 1 s, 2 s, 4 s, 8 s; then 1 s again.
    expect(sleeps).toEqual([750, 1500, 3000, 6000, 750]);
  });

  it('quarantines the fix a 400 names (positions.N.field) with the message and delivers the rest', async () => {
    const { queue, uploader, requests } = await setup(
      [failure(400, 'validation_failed', [{ path: 'positions.1.ts', message: 'is in the future' }]), accepted()],
      4,
    );
    const result = await uploader.drain();
    expect(result).toMatchObject({ end: 'empty', sent: 3, quarantined: 1, retries: 0 });
    expect(requests[1].positions).toEqual([fix(0), fix(2), fix(3)]);
    const [q] = await queue.quarantined();
    expect(q.fix).toEqual(fix(1));
    expect(q.reason).toBe('positions.1.ts: is in the future');
  });

  it('isolates a refused fix the answer does not name by halving the batch', async () => {
    // The server refuses any batch holding fix 5 without saying which fix.
    const db = await SqlJsDatabase.open();
    const queue = await FixQueue.open(db);
    await queue.enqueueMany(Array.from({ length: 8 }, (_, i) => fix(i)));
    const sizes: number[] = [];
    const api = {
      ingestPositions: async ({ body }: { body: unknown }) => {
        const positions = (body as { positions: PositionInput[] }).positions;
        sizes.push(positions.length);
        if (positions.some((p) => p.lon === fix(5).lon)) throw new ApiError(400, 'bad_request', 'invalid batch');
        return { accepted: positions.length, batchId: 'b', duplicates: 0 };
      },
    } as unknown as UploaderOptions['api'];
    const uploader = new Uploader({ queue, api, sleep: async () => undefined });
    const result = await uploader.drain();
    expect(result).toMatchObject({ end: 'empty', sent: 7, quarantined: 1 });
    expect((await queue.quarantined()).map((q) => q.fix)).toEqual([fix(5)]);
    expect(sizes).toEqual([8, 4, 4, 2, 1, 1, 2]);
  });

  it('retries a 400 that is not the API speaking (a proxy page) instead of quarantining', async () => {
    const { queue, uploader, sleeps } = await setup([{ status: 400, body: '<html>' }, accepted()], 2);
    const result = await uploader.drain();
    expect(result).toMatchObject({ sent: 2, quarantined: 0, retries: 1 });
    expect(sleeps).toHaveLength(1);
    expect((await queue.stats()).quarantined).toBe(0);
  });

  it('stops on a 401 and deletes nothing', async () => {
    const { queue, uploader, requests } = await setup([failure(401, 'unauthorized')], 20);
    const result = await uploader.drain();
    expect(result).toMatchObject({ end: 'unauthorized', sent: 0 });
    expect(requests).toHaveLength(1);
    expect(await queue.count()).toBe(20);
    expect(uploader.status.lastError).toMatchObject({ status: 401 });
  });

  it('leaves the rest queued rather than wait past its deadline', async () => {
    let clock = NOW;
    const { queue, uploader } = await setup([failure(503, 'unavailable')], 3, {
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    const result = await uploader.drain({ until: NOW + 10_000 });
    // Waits 0.5, 1, 2, 4 s (7.5 s in all), then 8 s more would pass the deadline.
    expect(result).toMatchObject({ end: 'deadline', sent: 0, retries: 4 });
    expect(await queue.count()).toBe(3);
  });

  it('deletes a batch answered 2xx even if the body cannot be read', async () => {
    const { queue, uploader, requests } = await setup([{ status: 202, body: { unexpected: true } }], 3);
    await expect(uploader.drain()).resolves.toMatchObject({ sent: 3 });
    expect(requests).toHaveLength(1);
    expect(await queue.count()).toBe(0);
  });
});
