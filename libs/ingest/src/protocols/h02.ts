import { knotsToKmh } from '@fleet/geo';
import { headingOf, num, percent, speedKmh, type RawFix } from '../fix';
import type { TrackerAttributes } from './attributes';
import { FrameError, type DeviceMessage, type ProtocolSession, type TcpProtocol } from './tcp';

/**
 * H02 (Sinotrack ST-901/ST-906, many "HQ" trackers), the text variant, as Traccar decodes it
 * (H02FrameDecoder, H02ProtocolDecoder, H02ProtocolEncoder):
 *
 * - a frame is `*` … `#`: `*HQ,<id>,<type>,…#`, fields separated by commas; bytes between frames
 *   (`\r\n`, noise) are skipped up to the next `*`;
 * - `V1` (and `V2`, `VI1`, `V19`, …): `hhmmss,A|V,ddmm.mmmm,N|S,dddmm.mmmm,E|W,speed (knots),course,
 *   [battery,]ddmmyy,status (8 hex digits, active-low bits),…`; the server answers a `V1` with
 *   `*HQ,<id>,V4,V1,<yyyyMMddHHmmss>#` — here the positions' `ack`, written once they are staged;
 * - `V4`: the device's answer to a command (`V4,<command>,<result…>,<command time>,` then a position);
 * - heartbeats: `HTBT`/`V0` (answered by echoing `*HQ,<id>,<type>#` at once), `XT`, `LINK` (rssi,
 *   satellites, battery, status), the cell-only `NBR` (answered `*HQ,<id>,V4,NBR,<time>#`) and `V3`,
 *   and `VP1` (no time of day, so never a stored fix).
 *
 * A position frame without a date and time, without usable coordinates or at exactly 0,0 carries no fix
 * that could be stored: it becomes a heartbeat (still answered), so the device is never left resending
 * something the pipeline would refuse. The binary variant (`$` + BCD, fixed lengths that differ by
 * model and cannot be told apart from the bytes) is not decoded: its bytes are skipped like noise.
 */

/** The longest `*…#` sentence buffered: Traccar's longest H02 test frame is ~200 bytes (NBR with 7 cells). */
export const H02_MAX_FRAME_BYTES = 1024;

/** The highest speed kept; a larger value (a corrupted field) is dropped rather than refusing the fix. */
const MAX_SPEED_KMH = 2000;

const STAR = 0x2a;
const HASH = 0x23;

const pad2 = (n: number) => String(n).padStart(2, '0');
/** `hhmmss` in UTC. */
const hhmmss = (d: Date) => `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
/** `yyyyMMddHHmmss` in UTC, as Traccar stamps its answers. */
const stamp = (d: Date) => `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${hhmmss(d)}`;

const IMEI = /^\d{1,20}$/;
const MANUFACTURER = /^[A-Za-z]{2}$/;
const STATUS = /^[0-9A-Fa-f]{8}$/;
const SIX_DIGITS = /^\d{6}$/;

/**
 * `ddmm.mmmm` (minutes with a decimal point), `ddmmmmmm` (4 implied decimals) or `-dd-mm.mmmm`, with
 * its hemisphere letter; undefined when it is not a coordinate (minutes ≥ 60, beyond ±90/±180).
 */
export function h02Coordinate(value: string, hemisphere: string, kind: 'lat' | 'lon'): number | undefined {
  const text = value.trim();
  let degrees: number;
  let minutes: number;
  let m: RegExpExecArray | null;
  if ((m = /^-(\d{1,3})-(\d{1,2}(?:\.\d+)?)$/.exec(text))) {
    degrees = Number(m[1]);
    minutes = Number(m[2]);
  } else if ((m = /^(\d{1,3})(\d\d\.\d+)$/.exec(text))) {
    degrees = Number(m[1]);
    minutes = Number(m[2]);
  } else if ((m = /^(\d{1,3})(\d\d)(\d{4})$/.exec(text))) {
    degrees = Number(m[1]);
    minutes = Number(`${m[2]}.${m[3]}`);
  } else {
    return undefined;
  }
  const negative = kind === 'lat' ? hemisphere === 'S' : hemisphere === 'W';
  const positive = kind === 'lat' ? hemisphere === 'N' : hemisphere === 'E';
  if (!negative && !positive) return undefined;
  const result = degrees + minutes / 60;
  if (!(minutes < 60) || result > (kind === 'lat' ? 90 : 180)) return undefined;
  return negative ? -result : result;
}

/** `hhmmss` + `ddmmyy` as a UTC date (20yy), or undefined when either is missing or not a real date. */
function h02Time(time: string | undefined, date: string | undefined): Date | undefined {
  if (!time || !date || !SIX_DIGITS.test(time) || !SIX_DIGITS.test(date)) return undefined;
  const [hh, mi, ss] = [0, 2, 4].map((i) => Number(time.slice(i, i + 2)));
  const [dd, mm, yy] = [0, 2, 4].map((i) => Number(date.slice(i, i + 2)));
  if (hh > 23 || mi > 59 || ss > 59 || mm < 1 || mm > 12 || dd < 1) return undefined;
  const at = new Date(Date.UTC(2000 + yy, mm - 1, dd, hh, mi, ss));
  return at.getUTCDate() === dd ? at : undefined;
}

/**
 * The status word's meaning as Traccar reads it (bits are active-low): bit 0 clear → vibration, bit 1
 * or 18 clear → sos, bit 2 clear → overspeed, bit 19 clear → powerCut; bit 10 → ignition.
 */
function statusAttributes(hex: string | undefined): Record<string, unknown> {
  if (!hex || !STATUS.test(hex)) return {};
  const status = parseInt(hex, 16);
  const bit = (n: number) => Math.floor(status / 2 ** n) % 2 === 1;
  let alarm: string | undefined;
  if (!bit(0)) alarm = 'vibration';
  else if (!bit(1) || !bit(18)) alarm = 'sos';
  else if (!bit(2)) alarm = 'overspeed';
  else if (!bit(19)) alarm = 'powerCut';
  const attributes: TrackerAttributes & { status: number } = { ignition: bit(10), status };
  if (alarm) attributes.alarm = alarm;
  return { ...attributes };
}

/** The last field that is an 8-hex-digit status word (LBS frames carry a variable number of cells first). */
const lastStatus = (fields: string[]) => [...fields].reverse().find((f) => STATUS.test(f));

const intOf = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);

/** Drops undefined values so attributes hold only what the device sent. */
function defined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

interface Frame {
  manufacturer: string;
  imei: string | undefined;
  type: string;
  fields: string[];
}

type Clock = () => Date;

/** Where the position part of a V-frame starts (its time field), and the V4 answer before it. */
function positionStart(frame: Frame): { at: number; result?: string } | undefined {
  const { fields, type } = frame;
  const looksLikeFix = (i: number) =>
    /^([ABV]?|\d+)$/.test(fields[i + 1] ?? 'x') &&
    /^[NS]$/.test(fields[i + 3] ?? '') &&
    /^[EW]$/.test(fields[i + 5] ?? '');
  if (type !== 'V4') return looksLikeFix(3) ? { at: 3 } : undefined;
  // `V4,<command>,<result…>,<command time>,<time>,A,…`: the answer ends where a position begins.
  for (let i = 4; i + 5 < fields.length; i++) {
    if (looksLikeFix(i)) return { at: i, result: fields.slice(3, i).join(',') };
  }
  return undefined;
}

/** The fix of a `V1`-style frame from its time field on, or the reason there is none. */
function readFix(fields: string[], at: number): { fix?: RawFix; attributes: Record<string, unknown> } {
  const [time, validity, latText, ns, lonText, ew, speedText, courseText] = fields.slice(at, at + 8);
  const rest = fields.slice(at + 8);
  let date: string | undefined;
  let next = 0;
  if (SIX_DIGITS.test(rest[0] ?? '')) {
    date = rest[0];
    next = 1;
  } else if (/^\d{1,3}$/.test(rest[0] ?? '') && SIX_DIGITS.test(rest[1] ?? '')) {
    // Some models put a battery level between course and date (Traccar's pattern skips it).
    date = rest[1];
    next = 2;
  } else if (rest[0] === '') {
    next = 1;
  }
  const status = rest.slice(next, next + 4).find((f) => STATUS.test(f));
  const attributes: Record<string, unknown> = { ...statusAttributes(status) };
  const ts = h02Time(time, date);
  const lat = h02Coordinate(latText ?? '', ns ?? '', 'lat');
  const lon = h02Coordinate(lonText ?? '', ew ?? '', 'lon');
  if (!ts || lat === undefined || lon === undefined || (lat === 0 && lon === 0)) return { attributes };
  // `A` is a fix; `V` and `B` are not (Traccar); a number there is V2/VI1's coding scheme, sent with a fix.
  const fix: RawFix = { ts, lat, lon, valid: validity === 'A' || /^\d+$/.test(validity ?? ''), attributes };
  const speed = speedKmh(speedText?.trim(), knotsToKmh);
  if (speed !== undefined && speed <= MAX_SPEED_KMH) fix.speedKmh = speed;
  const heading = headingOf(num(courseText));
  if (heading !== undefined) fix.heading = heading;
  return { fix, attributes };
}

function heartbeat(frame: Frame, attributes: Record<string, unknown> = {}, reply?: string): DeviceMessage {
  return {
    type: 'heartbeat',
    imei: frame.imei,
    attributes: defined(attributes),
    ...(reply ? { reply: Buffer.from(reply, 'latin1') } : {}),
  };
}

/** Decodes one `*…#` sentence (both markers included). */
export function decodeH02Sentence(sentence: string, now: Clock = () => new Date()): DeviceMessage[] {
  const fields = sentence.slice(1, -1).split(',');
  if (fields.length < 3 || !MANUFACTURER.test(fields[0]) || fields[2] === '')
    return [{ type: 'invalid', reason: 'malformed sentence' }];
  if (fields[1] !== '' && !IMEI.test(fields[1])) return [{ type: 'invalid', reason: 'bad device id' }];
  const frame: Frame = {
    manufacturer: fields[0],
    imei: fields[1] || undefined,
    type: fields[2].toUpperCase(),
    fields,
  };
  const { imei, type } = frame;

  switch (type) {
    case 'HTBT':
    case 'V0':
      // Traccar echoes the sentence up to the type: `*HQ,<id>,HTBT#`.
      return [heartbeat(frame, { battery: percent(intOf(fields[3])) }, `*${fields.slice(0, 3).join(',')}#`)];
    case 'LINK':
      return [
        heartbeat(frame, {
          rssi: intOf(fields[4]),
          satellites: intOf(fields[5]),
          battery: percent(intOf(fields[6])),
          steps: intOf(fields[7]),
          ...statusAttributes(fields[10]),
        }),
      ];
    case 'NBR':
      return [heartbeat(frame, statusAttributes(lastStatus(fields)), imei && `*HQ,${imei},V4,NBR,${stamp(now())}#`)];
    case 'V3':
    case 'XT':
    case 'VP1':
      return [heartbeat(frame, statusAttributes(lastStatus(fields)))];
  }

  if (!type.startsWith('V')) return [heartbeat(frame)];

  const start = positionStart(frame);
  const messages: DeviceMessage[] = [];
  if (type === 'V4') {
    // Stored as text: no NUL (PostgreSQL refuses it).
    const text = (start?.result ?? fields.slice(3).join(',')).replace(/\0/g, '');
    messages.push({ type: 'commandResult', text, imei });
  }
  if (!start) {
    messages.push(heartbeat(frame, statusAttributes(lastStatus(fields))));
    return messages;
  }
  const { fix, attributes } = readFix(fields, start.at);
  // Traccar answers V1 frames only; the answer acknowledges the fix, so it waits for staging.
  const answer = type === 'V1' && imei ? Buffer.from(`*HQ,${imei},V4,V1,${stamp(now())}#`, 'latin1') : undefined;
  if (!fix) {
    messages.push({ type: 'heartbeat', imei, attributes: defined(attributes), ...(answer ? { reply: answer } : {}) });
    return messages;
  }
  messages.push({ type: 'positions', fixes: [fix], imei, ...(answer ? { ack: answer } : {}) });
  return messages;
}

class H02Session implements ProtocolSession {
  private buf = Buffer.alloc(0);

  constructor(
    private readonly maxFrameBytes: number,
    private readonly now: Clock,
  ) {}

  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): DeviceMessage[] {
    let buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const messages: DeviceMessage[] = [];
    for (;;) {
      const start = buf.indexOf(STAR);
      if (start < 0) {
        buf = buf.subarray(buf.length); // noise between frames: nothing to keep
        break;
      }
      const end = buf.indexOf(HASH, start + 1);
      if (end < 0) {
        // A `*` inside an unfinished frame starts a new one (the device gave up the first).
        const last = buf.lastIndexOf(STAR);
        buf = buf.subarray(last);
        if (buf.length > this.maxFrameBytes) {
          this.buf = Buffer.alloc(0);
          throw new FrameError(`H02 sentence longer than ${this.maxFrameBytes} bytes without '#'`, 'too_large');
        }
        break;
      }
      const from = buf.lastIndexOf(STAR, end);
      if (end + 1 - from > this.maxFrameBytes) {
        this.buf = Buffer.alloc(0);
        throw new FrameError(`H02 sentence longer than ${this.maxFrameBytes} bytes`, 'too_large');
      }
      messages.push(...decodeH02Sentence(buf.toString('latin1', from, end + 1), this.now));
      buf = buf.subarray(end + 1);
    }
    // Copy the tail so the session never pins a large socket chunk.
    this.buf = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
    return messages;
  }
}

/** What may go inside an H02 command: printable ASCII without the frame markers. */
const COMMAND_TEXT = /^[\x20-\x22\x24-\x29\x2b-\x7e]{1,200}$/;

/**
 * `*HQ,<id>,<command>,<hhmmss>[,<params>]#` (H02ProtocolEncoder's form: the time follows the command
 * name, e.g. `S20,1,1` → `*HQ,<id>,S20,130305,1,1#`). The device echoes the command and that time in
 * its `V4` answer; H02 has no serial number, so `serial` is not sent.
 */
export function encodeH02Command(imei: string, text: string, at: Date): Buffer {
  if (!IMEI.test(imei)) throw new Error('H02 device id must be 1-20 digits');
  if (!COMMAND_TEXT.test(text))
    throw new Error("H02 command must be 1-200 printable ASCII characters without '*' or '#'");
  const [command, ...params] = text.split(',');
  return Buffer.from(`*HQ,${imei},${[command, hhmmss(at), ...params].join(',')}#`, 'latin1');
}

export interface H02Options {
  /** The clock for answers and command times (tests pin it). */
  now?: Clock;
  maxFrameBytes?: number;
}

export function createH02Protocol(options: H02Options = {}): TcpProtocol {
  const now = options.now ?? (() => new Date());
  const maxFrameBytes = options.maxFrameBytes ?? H02_MAX_FRAME_BYTES;
  return {
    name: 'h02',
    portEnv: 'H02_PORT',
    defaultPort: 5013,
    maxFrameBytes,
    createSession: () => new H02Session(maxFrameBytes, now),
    encodeCommand: (imei, text) => encodeH02Command(imei, text, now()),
  };
}

export const h02: TcpProtocol = createH02Protocol();
