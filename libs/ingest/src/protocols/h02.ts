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
 * something the pipeline would refuse.
 *
 * The binary variant (some firmwares send their positions so) is `$` + BCD, with no length field and
 * no end marker (layout in `decodeH02Binary`); H02FrameDecoder in Traccar takes 32 or 45 bytes, but
 * frames published in Traccar's tests are also 42, 46 and 48 bytes long. Here a binary frame runs from
 * its `$` to the next frame's start (`$` + the same device id, or `*XX,`), or to the end of the bytes
 * received when none follows (a device sends a frame per TCP packet, as a rule): the fields decoded are
 * all in its first 32 bytes, so a longer variant's extra bytes, even when they arrive in a later packet,
 * are skipped like noise. Binary frames are not answered (Traccar answers none).
 */

/** The longest `*…#` sentence buffered: Traccar's longest H02 test frame is ~200 bytes (NBR with 7 cells). */
export const H02_MAX_FRAME_BYTES = 1024;

/** The highest speed kept; a larger value (a corrupted field) is dropped rather than refusing the fix. */
const MAX_SPEED_KMH = 2000;

const STAR = 0x2a;
const HASH = 0x23;
const DOLLAR = 0x24;
const COMMA = 0x2c;

/** The shortest binary frame: `$`, a 5-byte id, time, date, position, speed, course, status and 3 more. */
export const H02_BINARY_MIN_BYTES = 32;
/**
 * The most bytes one binary frame is taken to span (published frames are 32–48 bytes; Traccar's
 * variants with cell or Wi-Fi lists stay near 100): where no next frame starts within it, what follows
 * is skipped as noise, so the search for the end stays bounded.
 */
export const H02_BINARY_MAX_BYTES = 256;

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

/** A byte of two BCD digits. */
const isBcd = (byte: number) => byte >> 4 <= 9 && (byte & 0x0f) <= 9;

/** `count` BCD digits from `frame[at]` on (an odd count ends at a high nibble), or undefined if one is not 0–9. */
function bcdDigits(frame: Buffer, at: number, count: number): string | undefined {
  let digits = '';
  for (let i = 0; i < count; i++) {
    const byte = frame[at + (i >> 1)];
    const digit = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    if (digit > 9) return undefined;
    digits += digit;
  }
  return digits;
}

/** The fields that follow the device id, at `at`: 23 bytes. */
interface BinaryLayout {
  imei: string;
  at: number;
  ts: Date;
}

/** Reads the id (5 bytes: 10 digits; 8 bytes: 15 digits and a filler) and the time; undefined if either is not one. */
function binaryLayout(frame: Buffer, idBytes: 5 | 8): BinaryLayout | undefined {
  const at = 1 + idBytes;
  if (frame.length < at + 23) return undefined;
  const imei = idBytes === 5 ? bcdDigits(frame, 1, 10) : bcdDigits(frame, 1, 15);
  const time = bcdDigits(frame, at, 6);
  const date = bcdDigits(frame, at + 3, 6);
  const ts = h02Time(time, date);
  return imei && ts ? { imei, at, ts } : undefined;
}

/** A binary battery byte as a percentage (Traccar's reading: levels 1–6, a percentage, or 0xF1–0xF6). */
function binaryBattery(value: number): number | undefined {
  if (value === 0) return undefined;
  if (value <= 3) return (value - 1) * 10;
  if (value <= 6) return (value - 1) * 20;
  if (value <= 100) return value;
  if (value >= 0xf1 && value <= 0xf6) return value - 0xf0;
  return undefined;
}

/**
 * One binary frame (`$` first, at least 32 bytes; what follows the fields below is not read), as Traccar's
 * H02ProtocolDecoder reads it:
 *
 * `$`, the device id in BCD (5 bytes, 10 digits; or 8 bytes, a 15-digit IMEI and a filler digit), then
 * hh mm ss and dd mm yy (BCD, UTC), the latitude `ddmmmmmm` (4 bytes: minutes with 4 implied decimals),
 * a battery byte, the longitude `dddmmmmmm` (4½ bytes) and a flags nibble (bit 1: GPS fix, bit 2: north,
 * bit 3: east), the speed (3 digits, knots) and course (3 digits, degrees), and the 4-byte status word
 * of the text variant (active-low alarm bits, ignition).
 *
 * Which id length a frame has is not written in it: the one whose time and date are real is taken, and
 * when both are (rarely), the 8-byte id for a 42-byte frame (Traccar's rule) and the 5-byte one otherwise.
 * Undefined when the bytes are no binary frame (no BCD id, time or position where they belong): the
 * session then skips the `$` as noise.
 */
export function decodeH02Binary(frame: Buffer): DeviceMessage | undefined {
  if (frame[0] !== DOLLAR) return undefined;
  if (frame.length < H02_BINARY_MIN_BYTES) return { type: 'invalid', reason: 'truncated binary frame' };
  const short = binaryLayout(frame, 5);
  const long = binaryLayout(frame, 8);
  const layout = short && long ? (frame.length === 42 ? long : short) : (short ?? long);
  if (!layout) return undefined;
  const { imei, at, ts } = layout;
  const latText = bcdDigits(frame, at + 6, 8);
  const lonText = bcdDigits(frame, at + 11, 9);
  const motion = bcdDigits(frame, at + 16, 6);
  if (!latText || !lonText || !motion) return undefined;
  const flags = frame[at + 15] & 0x0f;
  const attributes = statusAttributes(frame.toString('hex', at + 19, at + 23));
  const latMinutes = Number(latText.slice(2)) / 10_000;
  const lonMinutes = Number(lonText.slice(3)) / 10_000;
  const latAbs = Number(latText.slice(0, 2)) + latMinutes / 60;
  const lonAbs = Number(lonText.slice(0, 3)) + lonMinutes / 60;
  if (latMinutes >= 60 || lonMinutes >= 60 || latAbs > 90 || lonAbs > 180) {
    return { type: 'invalid', reason: 'coordinates out of range' };
  }
  if (latAbs === 0 && lonAbs === 0) return { type: 'heartbeat', imei, attributes };
  const fix: RawFix = {
    ts,
    lat: flags & 0x04 ? latAbs : -latAbs,
    lon: flags & 0x08 ? lonAbs : -lonAbs,
    valid: (flags & 0x02) !== 0,
    attributes,
  };
  const speed = knotsToKmh(Number(motion.slice(0, 3)));
  if (speed <= MAX_SPEED_KMH) fix.speedKmh = speed;
  const heading = headingOf(Number(motion.slice(3)));
  if (heading !== undefined) fix.heading = heading;
  const battery = binaryBattery(frame[at + 10]);
  if (battery !== undefined) fix.battery = battery;
  return { type: 'positions', fixes: [fix], imei };
}

/** Whether the bytes at an index start a frame: yes, no, or not enough bytes yet to tell. */
type Start = 'yes' | 'no' | 'maybe';

class H02Session implements ProtocolSession {
  private buf = Buffer.alloc(0);
  /** The first 5 id bytes of the last binary frame decoded: the next binary frame starts with `$` and them. */
  private binaryId: Buffer | undefined;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly now: Clock,
  ) {}

  get buffered(): number {
    return this.buf.length;
  }

  /** A `$` at `at` followed by the device's id (once known; until then, by 5 BCD bytes). */
  private binaryStart(buf: Buffer, at: number): Start {
    for (let k = 1; k <= 5; k++) {
      if (at + k >= buf.length) return 'maybe';
      const byte = buf[at + k];
      if (this.binaryId ? byte !== this.binaryId[k - 1] : !isBcd(byte)) return 'no';
    }
    return 'yes';
  }

  /** A `*` at `at` followed by a manufacturer and a comma (`*HQ,`). */
  private static textStart(buf: Buffer, at: number): Start {
    for (let k = 1; k <= 3; k++) {
      if (at + k >= buf.length) return 'maybe';
      const byte = buf[at + k];
      const ok = k === 3 ? byte === COMMA : (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a;
      if (!ok) return 'no';
    }
    return 'yes';
  }

  /** The first index from `from` on that may start a frame: any `*`, or a `$` that may start a binary frame. */
  private nextStart(buf: Buffer, from: number): number {
    for (let i = from; i < buf.length; i++) {
      if (buf[i] === STAR || (buf[i] === DOLLAR && this.binaryStart(buf, i) !== 'no')) return i;
    }
    return -1;
  }

  /** The first binary frame start in [from, to). */
  private nextBinary(buf: Buffer, from: number, to: number): number {
    for (let i = buf.indexOf(DOLLAR, from); i >= 0 && i < to; i = buf.indexOf(DOLLAR, i + 1)) {
      if (this.binaryStart(buf, i) === 'yes') return i;
    }
    return -1;
  }

  /**
   * Where the binary frame at 0 ends: the next frame's start — `$` and the same 5 id bytes as this frame
   * (BCD fields are full of 0x24 bytes, so a `$` alone means nothing), or `*XX,` — or -1 when none follows
   * yet (within H02_BINARY_MAX_BYTES). A start cut by the end of the bytes counts only past the
   * shortest frame.
   */
  private static binaryEnd(buf: Buffer): number {
    for (let i = 1; i < Math.min(buf.length, H02_BINARY_MAX_BYTES); i++) {
      const byte = buf[i];
      let start: Start;
      if (byte === STAR) start = H02Session.textStart(buf, i);
      else if (byte === DOLLAR) {
        start = 'yes';
        for (let k = 1; k <= 5 && start === 'yes'; k++) {
          if (i + k >= buf.length) start = 'maybe';
          else if (buf[i + k] !== buf[k]) start = 'no';
        }
      } else continue;
      if (start === 'yes' || (start === 'maybe' && i >= H02_BINARY_MIN_BYTES)) return i;
    }
    return -1;
  }

  private tooLarge(message: string): never {
    this.buf = Buffer.alloc(0);
    throw new FrameError(message, 'too_large');
  }

  push(chunk: Buffer): DeviceMessage[] {
    let buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const messages: DeviceMessage[] = [];
    for (;;) {
      const start = this.nextStart(buf, 0);
      if (start < 0) {
        buf = buf.subarray(buf.length); // noise between frames: nothing to keep
        break;
      }
      buf = buf.subarray(start);

      if (buf[0] === DOLLAR) {
        if (this.binaryStart(buf, 0) === 'maybe') break; // the id is still to come
        if (buf.length >= H02_BINARY_MIN_BYTES && !binaryLayout(buf, 5) && !binaryLayout(buf, 8)) {
          // No id and time where a frame has them: a `$` byte in noise (checked first, so noise costs no search).
          buf = buf.subarray(1);
          continue;
        }
        const end = H02Session.binaryEnd(buf);
        if (end < 0 && buf.length < H02_BINARY_MIN_BYTES) break; // the rest is still to come
        if (end >= 0 && end < H02_BINARY_MIN_BYTES) {
          // The device started another frame before this one was complete.
          messages.push({ type: 'invalid', reason: 'truncated binary frame' });
          buf = buf.subarray(end);
          continue;
        }
        const frameEnd = end < 0 ? Math.min(buf.length, H02_BINARY_MAX_BYTES) : end;
        const message = decodeH02Binary(buf.subarray(0, frameEnd));
        if (!message) {
          // Not a frame after all (a `$` byte in noise): look for one from the next byte on.
          buf = buf.subarray(1);
          continue;
        }
        if (message.type === 'positions' || message.type === 'heartbeat') {
          this.binaryId = Buffer.from(buf.subarray(1, 6));
        }
        messages.push(message);
        buf = buf.subarray(frameEnd);
        continue;
      }

      const end = buf.indexOf(HASH, 1);
      // A binary frame before the `#` means this `*` was noise (a `*` byte in a binary frame's tail) —
      // once this connection's device is known to send binary frames, or when no `*XX,` follows it.
      const binary = this.nextBinary(buf, 1, end < 0 ? buf.length : end);
      if (binary >= 0 && (this.binaryId !== undefined || H02Session.textStart(buf, 0) === 'no')) {
        buf = buf.subarray(binary);
        continue;
      }
      if (end < 0) {
        // A `*` inside an unfinished frame starts a new one (the device gave up the first).
        buf = buf.subarray(buf.lastIndexOf(STAR));
        if (buf.length > this.maxFrameBytes)
          this.tooLarge(`H02 sentence longer than ${this.maxFrameBytes} bytes without '#'`);
        break;
      }
      const from = buf.lastIndexOf(STAR, end);
      if (end + 1 - from > this.maxFrameBytes) this.tooLarge(`H02 sentence longer than ${this.maxFrameBytes} bytes`);
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
