import type { PositionInput } from '@fleet/contracts';
import { FixQueue, THIN_AFTER_MS } from './queue';
import { ReopeningDatabase } from './sql';
import { memoryPersistence, SqlJsDatabase } from './testing';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const fixAt = (ms: number, i = 0): PositionInput => ({ ts: new Date(ms).toISOString(), lat: 40 + i / 1e5, lon: -3.7 });
const minutes = (n: number) => n * 60_000;

async function openQueue(cap?: number) {
  const db = await SqlJsDatabase.open();
  return { db, queue: await FixQueue.open(db, { cap, now: () => NOW }) };
}

describe('FixQueue', () => {
  it('gives fixes back oldest first and deletes only what it is told', async () => {
    const { queue } = await openQueue();
    await queue.enqueueMany([fixAt(NOW - 3000, 1), fixAt(NOW - 2000, 2), fixAt(NOW - 1000, 3)]);
    const first = await queue.peek(2);
    expect(first.map((q) => q.fix.lat)).toEqual([40.00001, 40.00002]);
    await queue.remove([first[0].id]);
    expect((await queue.peek(10)).map((q) => q.fix.lat)).toEqual([40.00002, 40.00003]);
    expect(await queue.count()).toBe(2);
  });

  it('keeps its fixes across a restart: a new queue on the saved database sees them', async () => {
    const persistence = memoryPersistence();
    const db = await SqlJsDatabase.open(persistence);
    const queue = await FixQueue.open(db);
    await queue.enqueueMany(Array.from({ length: 250 }, (_, i) => fixAt(NOW - i * 1000, i)));
    // Dropped without closing, as a killed process would be.
    const reopened = await FixQueue.open(await SqlJsDatabase.open(persistence));
    expect(await reopened.count()).toBe(250);
    expect((await reopened.peek(1))[0].fix).toEqual(fixAt(NOW, 0));
  });

  it('when full, thins fixes older than a day first (every second one), and keeps every recent fix', async () => {
    const cap = 200;
    const { queue } = await openQueue(cap);
    const old = Array.from({ length: 100 }, (_, i) => fixAt(NOW - THIN_AFTER_MS - minutes(200 - i), i));
    const recent = Array.from({ length: 100 }, (_, i) => fixAt(NOW - minutes(100 - i), 100 + i));
    await queue.enqueueMany([...old, ...recent]);
    expect(await queue.count()).toBe(200);
    await queue.enqueue(fixAt(NOW, 999));
    // Room for 1 + 1% of the cap = 3 fixes: the 2nd, 4th and 6th oldest went.
    const left = (await queue.peek(1000)).map((q) => q.fix.lat);
    expect(left).toHaveLength(198);
    const oldLeft = left.filter((lat) => lat < 40.001);
    expect(oldLeft.slice(0, 5)).toEqual([40, 40.00002, 40.00004, 40.00006, 40.00007]);
    expect(left.filter((lat) => lat >= 40.001)).toHaveLength(101);
    expect((await queue.stats()).dropped).toBe(3);
  });

  it('halves the old backlog at most, then drops the oldest when thinning is not enough', async () => {
    const cap = 100;
    const { queue } = await openQueue(cap);
    await queue.enqueueMany(Array.from({ length: 10 }, (_, i) => fixAt(NOW - 2 * THIN_AFTER_MS + i * 1000, i)));
    await queue.enqueueMany(Array.from({ length: 90 }, (_, i) => fixAt(NOW - minutes(90 - i), 10 + i)));
    // 30 more: room for 30 + 1 = 31; thinning gives 5 (every second of 10 old), the 26 oldest go after.
    await queue.enqueueMany(Array.from({ length: 30 }, (_, i) => fixAt(NOW + i * 1000, 100 + i)));
    const left = await queue.peek(1000);
    expect(left).toHaveLength(99);
    const lats = left.map((q) => Math.round((q.fix.lat - 40) * 1e5));
    // The old fixes are all gone (5 thinned, 5 oldest), then 21 of the oldest recent ones.
    expect(Math.min(...lats)).toBe(31);
    expect(lats.slice(-30)).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
    expect((await queue.stats()).dropped).toBe(31);
  });

  it('never holds more than its cap, even when more arrive at once', async () => {
    const { queue } = await openQueue(50);
    await queue.enqueueMany(Array.from({ length: 120 }, (_, i) => fixAt(NOW - (120 - i) * 1000, i)));
    expect(await queue.count()).toBe(50);
    expect((await queue.peek(1))[0].fix.lat).toBeCloseTo(40 + 70 / 1e5, 8);
    expect((await queue.stats()).dropped).toBe(70);
  });

  it('moves a refused fix to the quarantine with its reason, out of the way of the rest', async () => {
    const { queue } = await openQueue();
    await queue.enqueueMany([fixAt(NOW - 2000, 1), fixAt(NOW - 1000, 2), fixAt(NOW, 3)]);
    const [, bad] = await queue.peek(3);
    await queue.quarantine([{ id: bad.id, reason: 'positions.1.ts: is in the future' }]);
    expect((await queue.peek(10)).map((q) => q.fix.lat)).toEqual([40.00001, 40.00003]);
    const quarantined = await queue.quarantined();
    expect(quarantined).toEqual([
      { id: bad.id, fix: bad.fix, reason: 'positions.1.ts: is in the future', quarantinedAt: NOW },
    ]);
    expect(await queue.stats()).toEqual({ queued: 2, quarantined: 1, dropped: 0 });
  });

  it('adds nothing when a transaction fails half way', async () => {
    const { queue } = await openQueue();
    const bad = { ts: NOW, lat: 1, lon: 1, attributes: { big: 1n } } as unknown as PositionInput;
    await expect(queue.enqueueMany([fixAt(NOW), bad])).rejects.toThrow();
    expect(await queue.count()).toBe(0);
  });
});

describe('ReopeningDatabase', () => {
  it('reopens a connection closed under it (expo #50432) and retries the call once', async () => {
    const persistence = memoryPersistence();
    const connections: SqlJsDatabase[] = [];
    const db = new ReopeningDatabase({
      open: async () => {
        const c = await SqlJsDatabase.open(persistence);
        connections.push(c);
        return c;
      },
    });
    const queue = await FixQueue.open(db);
    await queue.enqueue(fixAt(NOW - 1000, 1));
    connections[0].close();
    await queue.enqueue(fixAt(NOW, 2));
    expect(connections).toHaveLength(2);
    expect(db.reopened).toBe(1);
    expect((await queue.peek(10)).map((q) => q.fix.lat)).toEqual([40.00001, 40.00002]);
  });

  it('does not retry other errors, and gives up after one reopen', async () => {
    let opens = 0;
    const db = new ReopeningDatabase({
      open: async () => {
        opens++;
        const c = await SqlJsDatabase.open();
        c.close();
        return c;
      },
    });
    await expect(db.execAsync('SELECT 1')).rejects.toThrow(/closed/);
    expect(opens).toBe(2);
    const healthy = new ReopeningDatabase({ open: () => SqlJsDatabase.open() });
    await expect(healthy.execAsync('SELEC nonsense')).rejects.toThrow(/syntax/);
    expect(healthy.reopened).toBe(0);
  });
});
