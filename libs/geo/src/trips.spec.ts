import fc from 'fast-check';
import { distanceM } from './geodesic';
import { DayBuilder, MINUTE } from './testing/synthetic';
import { detectTripsAndStops, summarize, type Trip, type TripsAndStops } from './trips';
import { GeoInputError } from './types';

const T0 = Date.UTC(2024, 2, 5); // a Tuesday, 00:00 UTC
const HOME = { lat: 52.52, lon: 13.405 };
const TOLERANCE_MS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Times agree within the tolerance; the message shows both. */
function expectTime(actual: Date, expectedMs: number, what: string) {
  expect({ what, at: actual.toISOString(), off: Math.abs(actual.getTime() - expectedMs) <= TOLERANCE_MS }).toEqual({
    what,
    at: actual.toISOString(),
    off: true,
  });
}

/** A trip's distance against the true distance driven between its first and last fix. */
function expectTruthfulDistance(day: DayBuilder, trip: Trip) {
  const truth = day.odometer[trip.endIndex]! - day.odometer[trip.startIndex]!;
  expect(Math.abs(trip.distanceM - truth)).toBeLessThanOrEqual(truth * 0.02 + 30);
}

describe('detectTripsAndStops on a synthetic day with known truth', () => {
  // 00:00–07:00 parked at home; the tracker sleeps from 00:30 to 06:55. Then to the office with a
  // red light, parked all morning with wandering fixes and multipath excursions, to lunch through
  // a tunnel (3 min without fixes while driving 2 km), on through a slow traffic jam, parked.
  const day = new DayBuilder({ start: HOME, t0: T0, seed: 7 });
  day.park(30 * 60, { everyS: 60, sigmaM: 15 });
  day.silence(6 * 3600 + 25 * 60);
  day.park(5 * 60, { everyS: 5, sigmaM: 15 });
  const leaveHome = day.t;
  day.drive(6000, 50).park(40, { sigmaM: 2 }).drive(6000, 50);
  const arriveOffice = day.t;
  day.park(4.5 * 3600, { sigmaM: 12, excursions: 6 });
  const leaveOffice = day.t;
  day.drive(2000, 40);
  const tunnelIn = day.t;
  day.silence(180, 2000);
  const tunnelOut = day.t;
  day.drive(1000, 40);
  const arriveLunch = day.t;
  day.park(45 * 60, { everyS: 5, sigmaM: 10 });
  const leaveLunch = day.t;
  day.drive(3000, 45);
  const jamIn = day.t;
  day.drive(800, 4, { sigmaM: 3 });
  const jamOut = day.t;
  day.drive(6000, 50);
  const arriveHome = day.t;
  const eveningSpot = day.position;
  day.park(2 * 3600, { everyS: 30, sigmaM: 15 });
  const end = day.t;

  let result: TripsAndStops;
  beforeAll(() => {
    result = detectTripsAndStops(day.fixes);
  });

  it('finds the four stops: the night at home, the office, lunch, the evening', () => {
    const stops = result.stops.map((s) => `${iso(s.startTime.getTime())} → ${iso(s.endTime.getTime())}`);
    expect(stops).toHaveLength(4);
    const [night, office, lunch, evening] = result.stops;
    expectTime(night!.startTime, T0 + MINUTE, 'night start');
    expectTime(night!.endTime, leaveHome, 'night end');
    expectTime(office!.startTime, arriveOffice, 'office start');
    expectTime(office!.endTime, leaveOffice, 'office end');
    expectTime(lunch!.startTime, arriveLunch, 'lunch start');
    expectTime(lunch!.endTime, leaveLunch, 'lunch end');
    expectTime(evening!.startTime, arriveHome, 'evening start');
    expectTime(evening!.endTime, end, 'evening end');
    expect(night!.spansDataGap).toBe(true);
    expect(office!.spansDataGap).toBe(false);
    // Parked jitter averages out: the centre is where the car stood.
    expect(distanceM(night!.centroid, HOME)).toBeLessThan(15);
    expect(distanceM(evening!.centroid, eveningSpot)).toBeLessThan(15);
  });

  it('finds the three trips between them, with their true distances', () => {
    expect(result.trips).toHaveLength(3);
    const [toOffice, toLunch, toHome] = result.trips;
    expectTime(toOffice!.startTime, leaveHome, 'to office start');
    expectTime(toOffice!.endTime, arriveOffice, 'to office end');
    expectTime(toLunch!.startTime, leaveOffice, 'to lunch start');
    expectTime(toLunch!.endTime, arriveLunch, 'to lunch end');
    expectTime(toHome!.startTime, leaveLunch, 'to home start');
    expectTime(toHome!.endTime, arriveHome, 'to home end');
    for (const trip of result.trips) expectTruthfulDistance(day, trip);
    for (const trip of result.trips) {
      expect(trip.maxSpeedKmh).toBeGreaterThan(40);
      expect(trip.maxSpeedKmh).toBeLessThan(60);
      expect(trip.avgSpeedKmh).toBeCloseTo((trip.distanceM / trip.durationS) * 3.6, 6);
    }
  });

  it('keeps the tunnel inside its trip and counts the distance driven through it', () => {
    const toLunch = result.trips[1]!;
    expect(toLunch.startTime.getTime()).toBeLessThan(tunnelIn);
    expect(toLunch.endTime.getTime()).toBeGreaterThan(tunnelOut);
    expect(toLunch.distanceM).toBeGreaterThan(4700);
  });

  it('does not take the traffic jam (12 minutes at 4 km/h) for a stop, nor for idle time', () => {
    const toHome = result.trips[2]!;
    expect(toHome.startTime.getTime()).toBeLessThan(jamIn);
    expect(toHome.endTime.getTime()).toBeGreaterThan(jamOut);
    expect(toHome.idleS).toBeLessThan(60);
  });

  it('counts the red light as idle time inside the trip', () => {
    const toOffice = result.trips[0]!;
    expect(toOffice.idleS).toBeGreaterThanOrEqual(10);
    expect(toOffice.idleS).toBeLessThanOrEqual(60);
  });

  it('summarizes the day: driving + idle = time in trips, stopped = time in stops', () => {
    const s = summarize(result);
    const tripS = result.trips.reduce((t, x) => t + x.durationS, 0);
    expect(s.trips).toBe(3);
    expect(s.stops).toBe(4);
    expect(s.drivingS + s.idleS).toBeCloseTo(tripS, 6);
    expect(s.distanceM).toBeCloseTo(
      result.trips.reduce((t, x) => t + x.distanceM, 0),
      6,
    );
    const truth = result.trips.reduce((t, x) => t + day.odometer[x.endIndex]! - day.odometer[x.startIndex]!, 0);
    expect(Math.abs(s.distanceM - truth)).toBeLessThan(truth * 0.02);
    expect(s.stoppedS).toBeCloseTo(
      result.stops.reduce((t, x) => t + x.durationS, 0),
      6,
    );
    expect(s.maxSpeedKmh).toBe(Math.max(...result.trips.map((t) => t.maxSpeedKmh)));
    expect(s.avgSpeedKmh).toBeCloseTo((s.distanceM / tripS) * 3.6, 6);
  });
});

/** Parked for a while, then `build` drives, then parked again: the frame of most scenarios. */
function framed(seed: number, build: (d: DayBuilder) => void) {
  const d = new DayBuilder({ start: HOME, t0: T0, seed });
  d.park(10 * 60, { everyS: 5 });
  const leave = d.t;
  build(d);
  const arrive = d.t;
  d.park(10 * 60, { everyS: 5 });
  return { d, leave, arrive, result: detectTripsAndStops(d.fixes) };
}

describe('detectTripsAndStops, one difficulty at a time', () => {
  it('takes a parked vehicle with wandering fixes and excursions for one stop, never tiny trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 5, max: 25 }), (seed, sigmaM) => {
        const d = new DayBuilder({ start: HOME, t0: T0, seed });
        d.park(3 * 3600, { sigmaM, excursions: 15 });
        const r = detectTripsAndStops(d.fixes);
        expect(r.trips).toHaveLength(0);
        expect(r.stops).toHaveLength(1);
        expect(r.stops[0]!.durationS).toBeGreaterThan(3 * 3600 - 60);
      }),
      // [26, 5] and [6, 5]: the data begins during excursions (found by CI); kept as fixed cases.
      {
        numRuns: 40,
        examples: [
          [26, 5],
          [6, 5],
        ],
      },
    );
  });

  it('takes data that begins or ends during a multipath excursion for the stop, not a trip', () => {
    // Parked at HOME for 20 minutes at 1 Hz; the first and the last 40 s are reported 140 m away, hopping
    // between two such places every 10 s (hundreds of metres of apparent path).
    const north = { lat: HOME.lat + 140 / 111_200, lon: HOME.lon };
    const east = { lat: HOME.lat, lon: HOME.lon + 140 / 67_900 };
    const off = (i: number) => (Math.floor(i / 10) % 2 ? north : east);
    const fixes = Array.from({ length: 1200 }, (_, i) => ({
      ts: T0 + i * 1000,
      ...(i < 40 || i >= 1160 ? off(i) : HOME),
    }));
    const r = detectTripsAndStops(fixes);
    expect(r.trips).toEqual([]);
    expect(r.stops).toHaveLength(1);
    expect(r.stops[0].startIndex).toBe(0);
    expect(r.stops[0].endIndex).toBe(1199);
    expect(distanceM(r.stops[0].centroid, HOME)).toBeLessThan(5);
    expect(r.stops[0].durationS).toBe(1199);
    // Driven away for real (more than two outlier windows): a trip.
    const driven = [
      ...Array.from({ length: 600 }, (_, i) => ({ ts: T0 + i * 1000, ...HOME })),
      ...Array.from({ length: 180 }, (_, i) => ({
        ts: T0 + (600 + i) * 1000,
        lat: HOME.lat + ((i + 1) * 8) / 111_200,
        lon: HOME.lon,
      })),
    ];
    expect(detectTripsAndStops(driven).trips).toHaveLength(1);
  });

  it('never takes a slow jam that leaves the stop radius (3–8 km/h for 12+ minutes) for a stop', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 3, max: 8, noNaN: true }), (seed, kmh) => {
        const { result, leave, arrive } = framed(seed, (d) =>
          d
            .drive(2000, 40)
            .drive((kmh / 3.6) * 13 * 60, kmh, { sigmaM: 3 })
            .drive(2000, 40),
        );
        expect(result.stops).toHaveLength(2);
        expect(result.trips).toHaveLength(1);
        expectTime(result.trips[0]!.startTime, leave, 'trip start');
        expectTime(result.trips[0]!.endTime, arrive, 'trip end');
      }),
      { numRuns: 8 },
    );
  });

  it('keeps a tunnel (3 minutes without fixes while covering 2 km) inside the trip', () => {
    const { result, d } = framed(3, (x) => x.drive(3000, 50).silence(180, 2000).drive(3000, 50));
    expect(result.trips).toHaveLength(1);
    expect(result.stops).toHaveLength(2);
    expectTruthfulDistance(d, result.trips[0]!);
  });

  it('keeps driving while the tracker is off for 30 minutes and 25 km', () => {
    const { result } = framed(4, (x) =>
      x
        .drive(3000, 50)
        .silence(30 * 60, 25_000)
        .drive(3000, 50),
    );
    expect(result.trips).toHaveLength(1);
    expect(result.stops).toHaveLength(2);
    expect(result.trips[0]!.distanceM).toBeGreaterThan(30_000);
  });

  it('takes a long silence with little displacement for a stop, even beyond the radius (a garage)', () => {
    const { result, d } = framed(5, (x) => {
      x.drive(4000, 50);
      x.silence(2 * 3600, 250); // drove into an underground car park; the first fix after is 250 m off
      x.drive(4000, 50);
    });
    expect(result.stops).toHaveLength(3);
    expect(result.trips).toHaveLength(2);
    const garage = result.stops[1]!;
    expect(garage.spansDataGap).toBe(true);
    expect(garage.durationS).toBeGreaterThanOrEqual(2 * 3600);
    expect(garage.durationS).toBeLessThan(2 * 3600 + 60);
    expect(d.fixes[garage.startIndex]!.ts).toBeLessThan(d.fixes[garage.endIndex]!.ts);
  });

  it('counts a halt shorter than the minimum stop as idle time, and a longer one as a stop', () => {
    const short = framed(6, (x) =>
      x
        .drive(3000, 40)
        .park(3 * 60, { sigmaM: 4 })
        .drive(3000, 40),
    );
    expect(short.result.trips).toHaveLength(1);
    expect(short.result.trips[0]!.idleS).toBeGreaterThan(160);
    expect(short.result.trips[0]!.idleS).toBeLessThan(200);

    const long = framed(6, (x) =>
      x
        .drive(3000, 40)
        .park(6 * 60, { sigmaM: 4 })
        .drive(3000, 40),
    );
    expect(long.result.trips).toHaveLength(2);
    expect(long.result.stops).toHaveLength(3);
    expect(long.result.stops[1]!.durationS).toBeGreaterThan(5 * 60);
    expect(long.result.stops[1]!.durationS).toBeLessThan(7 * 60);
    // minStopDurationS is the line between the two.
    const tolerant = detectTripsAndStops(long.d.fixes, { minStopDurationS: 10 * 60 });
    expect(tolerant.trips).toHaveLength(1);
  });

  it('merges two stays at one place split by a short wander, and keeps a re-park elsewhere apart', () => {
    const wander = framed(8, (x) => x.drive(120, 7).park(20, { sigmaM: 3 }).turn(180).drive(120, 7));
    expect(wander.result.trips).toHaveLength(0);
    expect(wander.result.stops).toHaveLength(1);
    // Without excursion tolerance the stay surely splits in two: the merge puts it back together.
    const split = detectTripsAndStops(wander.d.fixes, { outlierWindowS: 0 });
    expect(split.trips).toHaveLength(0);
    expect(split.stops).toHaveLength(1);
    expect(split.stops[0]!.durationS).toBeGreaterThan(20 * 60);

    const repark = framed(8, (x) => x.drive(250, 10));
    expect(repark.result.trips).toHaveLength(0);
    expect(repark.result.stops).toHaveLength(2);
  });

  it('ignores inaccurate fixes and spikes instead of driving to them', () => {
    const d = new DayBuilder({ start: HOME, t0: T0, seed: 9 });
    d.park(10 * 60, { everyS: 5 })
      .drive(5000, 50)
      .park(10 * 60, { everyS: 5 });
    const fixes = d.fixes.map((f, i) => {
      if (i % 50 === 25) return { ...f, lat: f.lat + 0.03 }; // a 3 km spike
      if (i % 30 === 7) return { ...f, lat: f.lat - 0.004, accuracy: 500 };
      return { ...f, accuracy: 8 };
    });
    const r = detectTripsAndStops(fixes);
    expect(r.ignored.spike).toBeGreaterThan(5);
    expect(r.ignored.inaccurate).toBeGreaterThan(5);
    expect(r.trips).toHaveLength(1);
    expect(r.trips[0]!.distanceM).toBeGreaterThan(4700);
    expect(r.trips[0]!.distanceM).toBeLessThan(5100);
    expect(r.trips[0]!.maxSpeedKmh).toBeLessThan(60);
  });

  it('prefers the speed the device reports for max speed and idle time', () => {
    const d = new DayBuilder({ start: HOME, t0: T0, seed: 10 });
    d.park(10 * 60, { everyS: 5, reportSpeed: true });
    d.drive(2000, 50, { reportSpeed: true }).park(60, { sigmaM: 8, reportSpeed: true });
    d.drive(2000, 88, { reportSpeed: true }).park(10 * 60, { everyS: 5, reportSpeed: true });
    const r = detectTripsAndStops(d.fixes);
    expect(r.trips).toHaveLength(1);
    expect(r.trips[0]!.maxSpeedKmh).toBe(88);
    expect(r.trips[0]!.idleS).toBeGreaterThanOrEqual(55);
    expect(r.trips[0]!.idleS).toBeLessThanOrEqual(61);
  });

  it('returns nothing for no fixes and accepts Date and ISO timestamps', () => {
    expect(detectTripsAndStops([])).toEqual({
      trips: [],
      stops: [],
      ignored: { invalid: 0, inaccurate: 0, spike: 0, duplicate: 0 },
    });
    const { d } = framed(11, (x) => x.drive(3000, 40));
    const asDates = d.fixes.map((f, i) => ({ ...f, ts: i % 2 ? new Date(f.ts) : new Date(f.ts).toISOString() }));
    const r = detectTripsAndStops(asDates);
    expect(r.trips).toHaveLength(1);
    expect(r.stops).toHaveLength(2);
  });

  it('refuses fixes out of time order, bad timestamps and bad options, naming the field', () => {
    const a = { lat: 1, lon: 1, ts: 2000 };
    const b = { lat: 1, lon: 1, ts: 1000 };
    expect(() => detectTripsAndStops([a, b])).toThrow(GeoInputError);
    expect(() => detectTripsAndStops([a, b])).toThrow('points.1.ts');
    expect(() => detectTripsAndStops([{ lat: 1, lon: 1, ts: 'yesterday' }])).toThrow('points.0.ts');
    expect(() => detectTripsAndStops([], { stopRadiusM: -5 })).toThrow('options.stopRadiusM');
    expect(() => detectTripsAndStops([], { minStopDurationS: Number.NaN })).toThrow('options.minStopDurationS');
  });

  it('handles a day of 1 Hz fixes (86,400) in well under a second of CPU', () => {
    const d = new DayBuilder({ start: HOME, t0: T0, seed: 12 });
    while (d.fixes.length < 86_400) d.drive(40 * 60 * 12, 43).park(20 * 60, { excursions: 2 });
    const fixes = d.fixes.slice(0, 86_400);
    detectTripsAndStops(fixes.slice(0, 10_000)); // warm the JIT
    const before = process.cpuUsage();
    const r = detectTripsAndStops(fixes);
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    console.log(`detectTripsAndStops 86,400 fixes: ${ms.toFixed(1)} ms CPU, ${r.trips.length} trips`);
    expect(r.trips.length).toBe(24);
    expect(r.stops.length).toBe(24);
    expect(ms).toBeLessThan(500);
  });
});

describe('summarize', () => {
  it('adds trips up and defines idle and driving time', () => {
    const trip = (distanceM: number, durationS: number, idleS: number, maxSpeedKmh: number): Trip => ({
      startTime: new Date(0),
      endTime: new Date(durationS * 1000),
      startPoint: HOME,
      endPoint: HOME,
      startIndex: 0,
      endIndex: 1,
      distanceM,
      durationS,
      maxSpeedKmh,
      avgSpeedKmh: (distanceM / durationS) * 3.6,
      idleS,
    });
    const s = summarize({ trips: [trip(10_000, 1200, 100, 70), trip(5000, 600, 0, 90)], stops: [] });
    expect(s).toEqual({
      distanceM: 15_000,
      drivingS: 1700,
      idleS: 100,
      stoppedS: 0,
      maxSpeedKmh: 90,
      avgSpeedKmh: expect.closeTo(30, 9),
      trips: 2,
      stops: 0,
    });
    expect(summarize({ trips: [], stops: [] }).avgSpeedKmh).toBe(0);
  });
});
