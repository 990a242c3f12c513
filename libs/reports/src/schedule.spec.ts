import { nextRunAt, previousPeriod } from './schedule';

const iso = (d: Date) => d.toISOString();
const MADRID = 'Europe/Madrid';

describe('scheduled report timing', () => {
  it('runs a daily report at the local hour, the same wall time across a DST change', () => {
    // 2026-03-29: Madrid goes from +01:00 to +02:00 at 02:00.
    const t = { frequency: 'daily', hour: 7 } as const;
    expect(iso(nextRunAt(t, MADRID, new Date('2026-03-27T12:00:00Z')))).toBe('2026-03-28T06:00:00.000Z');
    expect(iso(nextRunAt(t, MADRID, new Date('2026-03-28T06:00:00Z')))).toBe('2026-03-29T05:00:00.000Z');
    expect(iso(nextRunAt(t, MADRID, new Date('2026-03-28T05:59:59Z')))).toBe('2026-03-28T06:00:00.000Z');
  });

  it('runs a weekly report on its weekday and a monthly one on its day, the last day of a short month', () => {
    const weekly = { frequency: 'weekly', weekday: 1, hour: 8 } as const;
    // 2026-12-07 is a Monday; after its 08:00 the next one is a week later.
    expect(iso(nextRunAt(weekly, 'UTC', new Date('2026-12-02T00:00:00Z')))).toBe('2026-12-07T08:00:00.000Z');
    expect(iso(nextRunAt(weekly, 'UTC', new Date('2026-12-07T08:00:00Z')))).toBe('2026-12-14T08:00:00.000Z');
    const monthly = { frequency: 'monthly', dayOfMonth: 31, hour: 6 } as const;
    expect(iso(nextRunAt(monthly, MADRID, new Date('2027-02-01T00:00:00Z')))).toBe('2027-02-28T05:00:00.000Z');
    expect(iso(nextRunAt(monthly, MADRID, new Date('2027-02-28T05:00:00Z')))).toBe('2027-03-31T04:00:00.000Z');
  });

  it('reports yesterday, 23 hours long on the night the clocks go forward', () => {
    const p = previousPeriod('daily', MADRID, new Date('2026-03-30T05:00:00Z'));
    expect([iso(p.from), iso(p.to)]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(p.to.getTime() - p.from.getTime()).toBe(23 * 3_600_000);
  });

  it('reports last week Monday to Sunday, 169 hours long over the clocks going back', () => {
    // Tuesday 2026-10-27; the week before runs Monday 19 to Sunday 25 October, when Madrid goes to +01:00.
    const p = previousPeriod('weekly', MADRID, new Date('2026-10-27T10:00:00Z'));
    expect([iso(p.from), iso(p.to)]).toEqual(['2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    expect(p.to.getTime() - p.from.getTime()).toBe(169 * 3_600_000);
    // Run on the Monday itself: still the week that just ended.
    const monday = previousPeriod('weekly', MADRID, new Date('2026-10-26T07:00:00Z'));
    expect(iso(monday.from)).toBe('2026-10-18T22:00:00.000Z');
  });

  it('reports last month, across a year end and a DST change', () => {
    const jan = previousPeriod('monthly', MADRID, new Date('2027-01-01T06:00:00Z'));
    expect([iso(jan.from), iso(jan.to)]).toEqual(['2026-11-30T23:00:00.000Z', '2026-12-31T23:00:00.000Z']);
    const april = previousPeriod('monthly', MADRID, new Date('2026-04-02T06:00:00Z'));
    expect([iso(april.from), iso(april.to)]).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
  });

  it('starts a day at the instant the clocks jump to when local midnight does not exist', () => {
    // America/Santiago: 2026-09-06 00:00 (−04:00) jumps to 01:00 (−03:00).
    const p = previousPeriod('daily', 'America/Santiago', new Date('2026-09-07T12:00:00Z'));
    expect(iso(p.from)).toBe('2026-09-06T04:00:00.000Z');
    expect(iso(p.to)).toBe('2026-09-07T03:00:00.000Z');
  });
});
