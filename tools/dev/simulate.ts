/**
 * The demo fleet on the move: each vehicle drives its Madrid route and reports like Traccar Client
 * does (OsmAnd protocol, one GET per fix on the ingest port), so the live map, events and history
 * grow while `npm start` runs. Started by the dev launcher; alone:
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/dev/simulate.ts [--vehicles=25] [--interval=5] [--url=http://127.0.0.1:5055]
 *
 * Vehicles follow the seed's routes (tools/seed/madrid.ts) at 25–55 km/h, stop for a minute or two
 * every few kilometres, and carry a draining battery. Stops with Ctrl-C/SIGTERM.
 */
import { convertSpeed, destination, distanceM, initialBearingDeg, seededRandom, type LatLon } from '@fleet/geo';
import { parseArgs } from 'node:util';
import { demoVehicles } from '../seed/demo-data';
import { ROUTES, routePolyline } from '../seed/madrid';

const { values: args } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '25' },
    interval: { type: 'string', default: '5' },
    url: { type: 'string', default: process.env['SIMULATOR_URL'] ?? 'http://127.0.0.1:5055' },
  },
});
const INTERVAL_S = Math.max(1, Number(args.interval));

interface Driver {
  id: string;
  path: LatLon[];
  /** Index of the path vertex being driven to. */
  next: number;
  at: LatLon;
  speedKmh: number;
  stoppedUntil: number;
  untilStopM: number;
  battery: number;
  random: () => number;
}

function driver(index: number, deviceIdentifier: string): Driver {
  const random = seededRandom(1_000 + index);
  const path = routePolyline(ROUTES[index % ROUTES.length]).map(([lat, lon]) => ({ lat, lon }));
  // Spread the fleet along its routes instead of starting everyone at the first vertex.
  const start = Math.floor(random() * (path.length - 1));
  return {
    id: deviceIdentifier,
    path,
    next: (start + 1) % path.length,
    at: path[start],
    speedKmh: 25 + random() * 30,
    stoppedUntil: 0,
    untilStopM: 1_000 + random() * 4_000,
    battery: 60 + random() * 40,
    random,
  };
}

/** Moves the vehicle `seconds` along its path; returns its bearing. */
function advance(d: Driver, seconds: number, now: number): number {
  let bearing = initialBearingDeg(d.at, d.path[d.next]);
  if (now < d.stoppedUntil) return bearing;
  let left = (d.speedKmh / 3.6) * seconds;
  d.untilStopM -= left;
  while (left > 0) {
    const target = d.path[d.next];
    const toTarget = distanceM(d.at, target);
    bearing = initialBearingDeg(d.at, target);
    if (toTarget > left) {
      d.at = destination(d.at, bearing, left);
      left = 0;
    } else {
      d.at = target;
      left -= toTarget;
      d.next = (d.next + 1) % d.path.length;
    }
  }
  if (d.untilStopM <= 0) {
    d.stoppedUntil = now + (60 + d.random() * 90) * 1000;
    d.untilStopM = 1_000 + d.random() * 4_000;
    d.speedKmh = 25 + d.random() * 30;
  }
  return bearing;
}

async function report(d: Driver, bearing: number, now: number): Promise<number> {
  const moving = now >= d.stoppedUntil;
  d.battery = Math.max(5, d.battery - 0.01);
  const q = new URLSearchParams({
    id: d.id,
    lat: d.at.lat.toFixed(6),
    lon: d.at.lon.toFixed(6),
    timestamp: String(Math.floor(now / 1000)),
    speed: convertSpeed(moving ? d.speedKmh : 0, 'kmh', 'knots').toFixed(1),
    bearing: bearing.toFixed(0),
    accuracy: (4 + d.random() * 8).toFixed(0),
    batt: d.battery.toFixed(0),
  });
  const res = await fetch(`${args.url}/?${q}`, { method: 'POST' });
  return res.status;
}

async function main() {
  const vehicles = demoVehicles().slice(0, Math.max(1, Number(args.vehicles)));
  const drivers = vehicles.map((v, i) => driver(i, v.deviceIdentifier));
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    stopping = true;
    clearTimeout(timer);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log(`simulating ${drivers.length} vehicle(s), a fix every ${INTERVAL_S} s each, to ${args.url}`);
  let last = Date.now();
  let lastProblem: string | undefined;
  const tick = async () => {
    const now = Date.now();
    const elapsed = (now - last) / 1000;
    last = now;
    const results = await Promise.allSettled(drivers.map((d) => report(d, advance(d, elapsed, now), now)));
    const problems = results
      .map((r) =>
        r.status === 'rejected' ? String((r.reason as Error).message) : r.value === 200 ? '' : `HTTP ${r.value}`,
      )
      .filter(Boolean);
    // One line per change of situation, not per tick: an API restart must not flood the console.
    const problem = problems[0] ?? '';
    if (problem !== lastProblem) console.log(problem ? `ingest failing: ${problem}` : 'ingest ok');
    lastProblem = problem;
    if (!stopping) timer = setTimeout(tick, INTERVAL_S * 1000);
  };
  await tick();
}

void main();
