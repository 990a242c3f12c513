import { decide, NotificationRuleSchema, quietUntil, ruleCovers } from './rules';
import type { NotificationRule } from './types';
import { zonedToInstant } from './zoned-time';

const V1 = 'vehicle-1';
const V2 = 'vehicle-2';

const rule = (extra: Partial<NotificationRule> = {}): NotificationRule => ({
  id: 'rule-1',
  eventTypes: ['overspeed', 'geofence_enter'],
  channels: ['email', 'telegram'],
  timeZone: 'Europe/Madrid',
  ...extra,
});

const at = (iso: string) => ({ now: new Date(iso) });
const overspeed = { type: 'overspeed' as const, vehicleId: V1 };

describe('ruleCovers', () => {
  it('fires only on the rule’s event types', () => {
    expect(ruleCovers(rule(), { type: 'device_offline', vehicleId: V1 })).toEqual({
      covered: false,
      reason: 'event_type',
    });
    expect(ruleCovers(rule({ eventTypes: [] }), overspeed)).toEqual({ covered: false, reason: 'event_type' });
    expect(ruleCovers(rule(), overspeed)).toEqual({ covered: true });
  });

  it('covers every vehicle with no vehicles or groups, the listed ones otherwise', () => {
    expect(ruleCovers(rule({ vehicleIds: [], groupIds: [] }), overspeed).covered).toBe(true);
    expect(ruleCovers(rule({ vehicleIds: [V2] }), overspeed)).toEqual({ covered: false, reason: 'vehicle' });
    expect(ruleCovers(rule({ vehicleIds: [V2, V1] }), overspeed).covered).toBe(true);
  });

  it('covers a vehicle in a listed group or under it, through the lookup', () => {
    // V1 is in depot-norte, which is in madrid.
    const groupsOf = (id: string) => (id === V1 ? ['depot-norte', 'madrid'] : []);
    expect(ruleCovers(rule({ groupIds: ['madrid'] }), overspeed, groupsOf).covered).toBe(true);
    expect(ruleCovers(rule({ groupIds: ['depot-norte'] }), overspeed, groupsOf).covered).toBe(true);
    expect(ruleCovers(rule({ groupIds: ['sevilla'] }), overspeed, groupsOf).covered).toBe(false);
    expect(ruleCovers(rule({ groupIds: ['madrid'] }), { ...overspeed, vehicleId: V2 }, groupsOf).covered).toBe(false);
    // No groups yet: a group rule covers nothing rather than everything.
    expect(ruleCovers(rule({ groupIds: ['madrid'] }), overspeed).covered).toBe(false);
    expect(ruleCovers(rule({ groupIds: ['madrid'], vehicleIds: [V1] }), overspeed).covered).toBe(true);
  });
});

describe('quiet hours 22:00–07:00 in Europe/Madrid', () => {
  const quiet = (mode: 'skip' | 'defer') => rule({ quietHours: { start: '22:00', end: '07:00', mode } });

  it('sends at once outside them', () => {
    expect(decide(quiet('defer'), overspeed, at('2026-01-15T20:59:00Z'))).toEqual({
      send: true,
      channels: ['email', 'telegram'],
      at: new Date('2026-01-15T20:59:00Z'),
      deferred: false,
    });
    // 07:00 local is no longer quiet.
    expect(decide(quiet('skip'), overspeed, at('2026-01-16T06:00:00Z')).send).toBe(true);
  });

  it('defers to 07:00 local from the evening (next day) and from the early morning (same day)', () => {
    // 22:00 CET.
    expect(decide(quiet('defer'), overspeed, at('2026-01-15T21:00:00Z'))).toMatchObject({
      send: true,
      at: new Date('2026-01-16T06:00:00Z'),
      deferred: true,
    });
    // 00:30 and 06:59 CET.
    expect(decide(quiet('defer'), overspeed, at('2026-01-15T23:30:00Z'))).toMatchObject({
      at: new Date('2026-01-16T06:00:00Z'),
    });
    expect(decide(quiet('defer'), overspeed, at('2026-01-16T05:59:00Z'))).toMatchObject({
      at: new Date('2026-01-16T06:00:00Z'),
    });
  });

  it('skips when the rule says so', () => {
    expect(decide(quiet('skip'), overspeed, at('2026-01-15T23:30:00Z'))).toEqual({
      send: false,
      reason: 'quiet_hours',
    });
  });

  it('ends at 07:00 summer time on the night the clocks go forward (a night an hour shorter)', () => {
    // Sat 28 Mar 2026 23:30 CET; clocks go 02:00 → 03:00 on Sunday; 07:00 CEST is 05:00 UTC.
    const d = decide(quiet('defer'), overspeed, at('2026-03-28T22:30:00Z'));
    expect(d).toMatchObject({ send: true, at: new Date('2026-03-29T05:00:00Z') });
    // 03:30 CEST (01:30 UTC), right after the jump: still quiet, same end.
    expect(decide(quiet('defer'), overspeed, at('2026-03-29T01:30:00Z'))).toMatchObject({
      at: new Date('2026-03-29T05:00:00Z'),
    });
  });

  it('ends at 07:00 winter time on the night the clocks go back, quiet through both 02:30s', () => {
    const end = new Date('2026-10-25T06:00:00Z');
    // Sat 24 Oct 23:30 CEST; then 02:30 CEST (00:30 UTC) and 02:30 CET again (01:30 UTC).
    for (const now of ['2026-10-24T21:30:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z']) {
      expect(decide(quiet('defer'), overspeed, at(now))).toMatchObject({ send: true, at: end, deferred: true });
    }
    expect(decide(quiet('defer'), overspeed, at('2026-10-25T06:00:00Z'))).toMatchObject({ deferred: false });
  });

  it('ends at the jump when the end time itself is skipped by the clocks', () => {
    // Quiet until 02:30, a time that does not exist on 29 Mar 2026 in Madrid: ends at 03:00 CEST.
    const q = { start: '23:00', end: '02:30' };
    expect(quietUntil(q, 'Europe/Madrid', new Date('2026-03-28T22:30:00Z'))).toEqual(new Date('2026-03-29T01:00:00Z'));
    expect(quietUntil(q, 'Europe/Madrid', new Date('2026-03-29T01:00:00Z'))).toBeNull();
  });

  it('follows the rule’s zone, not the server’s', () => {
    // 22:30 UTC is 17:30 in New York: not quiet there.
    const ny = rule({ timeZone: 'America/New_York', quietHours: { start: '22:00', end: '07:00', mode: 'skip' } });
    expect(decide(ny, overspeed, at('2026-01-15T22:30:00Z')).send).toBe(true);
    expect(decide(ny, overspeed, at('2026-01-16T03:30:00Z')).send).toBe(false);
  });
});

describe('other quiet periods', () => {
  it('handles a same-day period, and start = end as none', () => {
    const q = { start: '13:00', end: '15:00' };
    expect(quietUntil(q, 'Europe/Madrid', new Date('2026-01-15T11:59:00Z'))).toBeNull();
    expect(quietUntil(q, 'Europe/Madrid', new Date('2026-01-15T12:00:00Z'))).toEqual(new Date('2026-01-15T14:00:00Z'));
    expect(quietUntil(q, 'Europe/Madrid', new Date('2026-01-15T14:00:00Z'))).toBeNull();
    expect(quietUntil({ start: '07:00', end: '07:00' }, 'Europe/Madrid', new Date('2026-01-15T06:00:00Z'))).toBeNull();
  });
});

describe('zonedToInstant', () => {
  it('gives the first of a wall time that happens twice', () => {
    expect(zonedToInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Madrid')).toEqual(
      new Date('2026-10-25T00:30:00Z'),
    );
    expect(zonedToInstant({ year: 2026, month: 1, day: 1, hour: 0, minute: 0 }, 'Asia/Kolkata')).toEqual(
      new Date('2025-12-31T18:30:00Z'),
    );
  });
});

describe('NotificationRuleSchema', () => {
  const valid = { id: 'r', eventTypes: ['overspeed'], channels: ['email'], timeZone: 'Europe/Madrid' };

  it('accepts a rule with quiet hours', () => {
    expect(
      NotificationRuleSchema.safeParse({ ...valid, quietHours: { start: '22:00', end: '07:00', mode: 'defer' } })
        .success,
    ).toBe(true);
  });

  it('names what is wrong', () => {
    const r = NotificationRuleSchema.safeParse({
      ...valid,
      eventTypes: ['teleported'],
      channels: [],
      timeZone: 'Mars/Olympus',
      quietHours: { start: '24:00', end: '7:00', mode: 'later' },
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'channels',
      'eventTypes.0',
      'quietHours.end',
      'quietHours.mode',
      'quietHours.start',
      'timeZone',
    ]);
  });
});
