import { kmhToKnots } from '@fleet/geo';

/** One position as a simulated device holds it (km/h, degrees, UTC). */
export interface H02Record {
  ts: Date;
  lat: number;
  lon: number;
  speedKmh?: number;
  heading?: number;
  /** false sends `V` (no fix) instead of `A`. */
  valid?: boolean;
  /** ACC on (status bit 10, as Traccar reads it). */
  ignition?: boolean;
  /** Raises an alarm by clearing its active-low status bit. */
  alarm?: 'sos' | 'vibration' | 'overspeed' | 'powerCut';
}

/** A sentence the server sent back, split into fields (`*HQ,<id>,V4,V1,20240101120000#`). */
export interface H02Answer {
  imei: string;
  type: string;
  fields: string[];
  text: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const ddmmyy = (d: Date) =>
  `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
const hhmmss = (d: Date) => `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;

/** `ddmm.mmmmm` / `dddmm.mmmmm`: 5 decimals of a minute (~2 cm), as newer H02 firmware sends. */
function coordinate(value: number, degreeDigits: number): string {
  const abs = Math.abs(value);
  let degrees = Math.floor(abs);
  let minutes = Number(((abs - degrees) * 60).toFixed(5));
  if (minutes >= 60) {
    degrees += 1;
    minutes -= 60;
  }
  return `${pad(degrees, degreeDigits)}${minutes.toFixed(5).padStart(8, '0')}`;
}

const ALARM_BITS = { vibration: 0, sos: 1, overspeed: 2, powerCut: 19 } as const;

function status(record: H02Record): string {
  let word = 0xfffffbff; // Traccar's usual sample: everything idle, ACC (bit 10) off
  if (record.ignition) word |= 1 << 10;
  if (record.alarm) word &= ~(1 << ALARM_BITS[record.alarm]);
  return (word >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** `ddmmmmmm` / `dddmmmmmm`: a binary frame's coordinate digits (minutes with 4 implied decimals). */
function binaryCoordinate(value: number, degreeDigits: number): string {
  const abs = Math.abs(value);
  let degrees = Math.floor(abs);
  let minutes = Math.round((abs - degrees) * 60 * 10_000);
  if (minutes >= 600_000) {
    degrees += 1;
    minutes -= 600_000;
  }
  return `${pad(degrees, degreeDigits)}${pad(minutes, 6)}`;
}

/** The layouts of binary frames seen from real devices (Traccar's H02 tests): 32, 45 and 42 (8-byte id) bytes. */
export type H02BinaryLayout = 'short' | 'long' | 'imei';

/**
 * A simulated H02 tracker: builds the sentences a real one sends (the inverse of h02.ts) and reads the
 * server's answers. For the decoder's tests, the gateway's tests and tools/tracker-sim.
 */
export class H02Device {
  constructor(readonly imei: string) {}

  /** A `V1` position sentence (answered by the server once stored). */
  position(record: H02Record, type = 'V1'): Buffer {
    const fields = [
      'HQ',
      this.imei,
      type,
      hhmmss(record.ts),
      record.valid === false ? 'V' : 'A',
      coordinate(record.lat, 2),
      record.lat < 0 ? 'S' : 'N',
      coordinate(record.lon, 3),
      record.lon < 0 ? 'W' : 'E',
      kmhToKnots(record.speedKmh ?? 0).toFixed(2),
      String(Math.round(record.heading ?? 0) % 360),
      ddmmyy(record.ts),
      status(record),
    ];
    return Buffer.from(`*${fields.join(',')}#`, 'latin1');
  }

  /**
   * A binary position frame (`$` + BCD, the inverse of decodeH02Binary): `short` is 32 bytes with a
   * 10-digit id, `long` 45 bytes (13 more bytes the decoder does not read), `imei` 42 bytes with the
   * 15-digit id in 8 bytes. The battery byte holds a percentage (0: none).
   */
  binaryPosition(record: H02Record & { battery?: number }, layout: H02BinaryLayout = 'short'): Buffer {
    const id = layout === 'imei' ? `${this.imei.padStart(15, '0')}0` : this.imei.padStart(10, '0');
    if (!/^\d+$/.test(id) || id.length !== (layout === 'imei' ? 16 : 10)) {
      throw new Error(`a binary H02 id is ${layout === 'imei' ? 15 : 10} digits`);
    }
    const flags = (record.valid === false ? 0 : 0x02) | (record.lat >= 0 ? 0x04 : 0) | (record.lon >= 0 ? 0x08 : 0);
    const knots = Math.min(999, Math.round(kmhToKnots(record.speedKmh ?? 0)));
    const digits = [
      id,
      hhmmss(record.ts),
      ddmmyy(record.ts),
      binaryCoordinate(record.lat, 2),
      Math.min(100, Math.max(0, Math.round(record.battery ?? 0)))
        .toString(16)
        .padStart(2, '0'),
      binaryCoordinate(record.lon, 3),
      flags.toString(16),
      pad(knots, 3),
      pad(Math.round(record.heading ?? 0) % 360, 3),
      status(record),
    ].join('');
    const extra = { short: 'ff0001', long: 'ff0015060000002c02dc0c000000001f', imei: 'ff011200640000005ecc' }[layout];
    return Buffer.concat([Buffer.from('$', 'latin1'), Buffer.from(digits + extra, 'hex')]);
  }

  /** A heartbeat: `HTBT` (answered at once) carries a battery level; `XT` is not answered. */
  heartbeat(kind: 'HTBT' | 'XT' = 'HTBT', battery = 80): Buffer {
    return Buffer.from(kind === 'HTBT' ? `*HQ,${this.imei},HTBT,${battery}#` : `*HQ,${this.imei},XT,1,100#`, 'latin1');
  }

  /** The device's `V4` answer to a command, with the position it was at. */
  commandAnswer(answer: string, commandTime: string, record: H02Record): Buffer {
    const position = this.position(record, 'V4').toString('latin1');
    const [head, tail] = [
      position.slice(0, position.indexOf(',V4,') + 4),
      position.slice(position.indexOf(',V4,') + 4),
    ];
    return Buffer.from(`${head}${answer},${commandTime},${tail}`, 'latin1');
  }
}

/** Splits the server's bytes into its `*…#` sentences. */
export function parseH02Answers(bytes: Buffer): H02Answer[] {
  const text = bytes.toString('latin1');
  return [...text.matchAll(/\*([^*#]*)#/g)].map((m) => {
    const fields = m[1].split(',');
    return { imei: fields[1] ?? '', type: fields[2] ?? '', fields, text: m[0] };
  });
}
