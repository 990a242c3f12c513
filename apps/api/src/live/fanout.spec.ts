import { randomUUID } from 'node:crypto';
import type { LiveMessage } from '@fleet/contracts';
import type { LiveEnvelope } from '@fleet/live';
import { OrgFanout } from './fanout';
import { sseFrame, type SseStream } from './sse';

/** What the fan-out uses of a stream: the chunks it was given, and its close. */
function fakeStream() {
  const closers: Array<() => void> = [];
  const chunks: Buffer[] = [];
  const stream = {
    closed: false,
    onClose: (fn: () => void) => closers.push(fn),
    writeShared: (chunk: Buffer) => chunks.push(chunk),
    close() {
      stream.closed = true;
      for (const fn of closers.splice(0)) fn();
    },
  };
  return { stream, sse: stream as unknown as SseStream, chunks, text: () => chunks.map(String).join('') };
}

let seq = 0;
const position = (vehicleId: string): LiveEnvelope => {
  const message: LiveMessage = {
    type: 'position',
    data: {
      vehicleId,
      ts: new Date(1_700_000_000_000 + seq).toISOString(),
      lat: 40,
      lon: -3.7,
      speedKmh: 42,
      heading: null,
      altitude: null,
      accuracy: null,
      battery: null,
      attributes: null,
    },
  };
  return { id: `1700000000000-${seq++}`, message };
};
const event = (vehicleId: string): LiveEnvelope => ({
  id: `1700000000000-${seq++}`,
  message: {
    type: 'event',
    data: {
      id: randomUUID(),
      vehicleId,
      type: 'overspeed',
      ts: new Date().toISOString(),
      geofenceId: null,
      lat: 40,
      lon: -3.7,
      attributes: {},
    },
  },
});
const frame = (e: LiveEnvelope) => sseFrame(e.message.type, e.message.data, e.id);

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('OrgFanout', () => {
  const [a, b] = [randomUUID(), randomUUID()];

  it('writes a window to every stream as one buffer, encoded once: newest position per vehicle, every event, in order', async () => {
    const fanout = new OrgFanout(50, () => undefined);
    const [one, two] = [fakeStream(), fakeStream()];
    fanout.add(one.sse);
    fanout.add(two.sse);
    const first = position(a);
    fanout.push(first);
    await until(() => one.chunks.length === 1 && two.chunks.length === 1, 'the first write');
    expect(one.text()).toBe(frame(first));
    // A burst within the window: one write, later.
    const burst = [position(a), event(a), position(b), position(a), event(b), position(b)];
    for (const e of burst) fanout.push(e);
    await until(() => one.chunks.length === 2 && two.chunks.length === 2, 'the burst');
    const expected = [burst[1], burst[3], burst[4], burst[5]].map(frame).join('');
    expect(String(one.chunks[1])).toBe(expected);
    // The same bytes, not a copy per stream.
    expect(two.chunks[1]).toBe(one.chunks[1]);
    fanout.close();
  });

  it('gives a stream that joins during a window only what was pushed after it joined', async () => {
    const fanout = new OrgFanout(30, () => undefined);
    const [early, late] = [fakeStream(), fakeStream()];
    fanout.add(early.sse);
    fanout.push(event(a)); // opens the window: written at once
    await until(() => early.chunks.length === 1, 'the first write');
    const before = event(a);
    fanout.push(before);
    fanout.add(late.sse);
    const after = [position(a), event(b)];
    for (const e of after) fanout.push(e);
    await until(() => early.chunks.length === 2 && late.chunks.length === 1, 'the window');
    expect(String(early.chunks[1])).toBe([before, ...after].map(frame).join(''));
    expect(late.text()).toBe(after.map(frame).join(''));
    // From the next window on, the whole of it.
    const next = position(b);
    fanout.push(next);
    await until(() => late.chunks.length === 2, 'the next window');
    expect(late.chunks[1]).toBe(early.chunks[2]);
    fanout.close();
  });

  it('tells its owner when the last stream has left, and stops writing to those that left', async () => {
    const empty = jest.fn();
    const fanout = new OrgFanout(0, empty);
    const [one, two] = [fakeStream(), fakeStream()];
    fanout.add(one.sse);
    fanout.add(two.sse);
    one.stream.close();
    fanout.push(position(a));
    await until(() => two.chunks.length === 1, 'the write');
    expect(one.chunks).toHaveLength(0);
    expect(empty).not.toHaveBeenCalled();
    two.stream.close();
    expect(empty).toHaveBeenCalledTimes(1);
  });
});
