/**
 * `nx run tools:tracker-sim -- [options]`: simulated hardware trackers against the tracker gateway.
 * Each device sends `--records` positions (a buffer after a gap, oldest first, then real time),
 * waits for every acknowledgement, and resends what was not acknowledged after a drop.
 *
 * Options: --devices=N (10), --protocols=teltonika,gt06,h02 (all with a simulated device),
 *          --records=N per device (60), --per-frame=N records per Teltonika packet (10),
 *          --host (127.0.0.1), --teltonika-port (5027), --gt06-port (5023), --h02-port (5013),
 *          --drop-every=N (0: never) cut a device's connection after every N frames,
 *          --imei-prefix (35000000) the first digits of the devices' IMEIs,
 *          --provision: create missing vehicles for the IMEIs in the first organization of DATABASE_URL
 *          (the demo one after `npm start`).
 * Prints records acknowledged, resent, connections and the rate; exits non-zero when a device could
 * not deliver everything.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DRIVERS, imeiOf, SimulatedTracker, track, type SimProtocol } from './sim';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10' },
    protocols: { type: 'string', default: 'teltonika,gt06,h02' },
    records: { type: 'string', default: '60' },
    'per-frame': { type: 'string', default: '10' },
    host: { type: 'string', default: '127.0.0.1' },
    'teltonika-port': { type: 'string', default: process.env['TELTONIKA_PORT'] ?? '5027' },
    'gt06-port': { type: 'string', default: process.env['GT06_PORT'] ?? '5023' },
    'h02-port': { type: 'string', default: process.env['H02_PORT'] ?? '5013' },
    'drop-every': { type: 'string', default: '0' },
    'imei-prefix': { type: 'string', default: '35000000' },
    provision: { type: 'boolean', default: false },
  },
});

const protocols = args.protocols
  .split(',')
  .map((p) => p.trim())
  .filter((p): p is SimProtocol => p in DRIVERS);
if (!protocols.length) throw new Error(`no simulated device for --protocols=${args.protocols}`);
const count = Number(args.devices);
const ports: Record<SimProtocol, number> = {
  teltonika: Number(args['teltonika-port']),
  gt06: Number(args['gt06-port']),
  h02: Number(args['h02-port']),
};

async function provision(imeis: string[]): Promise<void> {
  const pool = new pg.Pool({
    connectionString: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/fleet',
  });
  try {
    const org = await pool.query<{ id: string }>('SELECT id FROM organizations ORDER BY created_at LIMIT 1');
    if (!org.rowCount) throw new Error('no organization: run `npm start` (or the seed) first');
    await pool.query(
      `INSERT INTO vehicles (organization_id, name, device_identifier)
       SELECT $1, 'Tracker ' || imei, imei FROM unnest($2::text[]) AS imei
       ON CONFLICT (device_identifier) DO NOTHING`,
      [org.rows[0].id, imeis],
    );
  } finally {
    await pool.end();
  }
}

async function main(): Promise<number> {
  const devices = Array.from({ length: count }, (_, i) => {
    const protocol = protocols[i % protocols.length];
    return new SimulatedTracker({
      host: args.host,
      port: ports[protocol],
      protocol,
      imei: imeiOf(args['imei-prefix'], i + 1),
      perFrame: Number(args['per-frame']),
    });
  });
  if (args.provision) await provision(devices.map((d) => d.options.imei));

  const records = Number(args.records);
  const dropEvery = Number(args['drop-every']);
  const started = Date.now();
  devices.forEach((device, i) =>
    device.add(track({ lat: 40.3 + (i % 100) * 0.002, lon: -3.8 + Math.floor(i / 100) * 0.002 }, records, started)),
  );
  const dropper =
    dropEvery > 0
      ? setInterval(() => {
          for (const d of devices) if (d.stats.framesSent > 0 && d.stats.framesSent % dropEvery === 0) d.drop();
        }, 50)
      : undefined;
  const results = await Promise.allSettled(devices.map((d) => d.run(Date.now() + 10 * 60_000)));
  clearInterval(dropper);
  const seconds = (Date.now() - started) / 1000;
  const acknowledged = devices.reduce((n, d) => n + d.stats.acknowledged.size, 0);
  const resent = devices.reduce((n, d) => n + d.stats.resent, 0);
  const connections = devices.reduce((n, d) => n + d.stats.connections, 0);
  const failed = results.filter((r) => r.status === 'rejected');
  console.log(
    `${count} devices (${protocols.join(', ')}): ${acknowledged} of ${count * records} records acknowledged in ` +
      `${seconds.toFixed(1)} s (${(acknowledged / seconds).toFixed(0)} records/s), ${resent} resent, ${connections} connections`,
  );
  for (const f of failed.slice(0, 5)) console.log(`  ${(f as PromiseRejectedResult).reason}`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
