import { crc16kermit } from 'crc';
import { headingOf, type RawFix } from '../fix';
import type { TrackerAttributes } from './attributes';
import { FrameError, type DeviceMessage, type ProtocolSession, type TcpProtocol } from './tcp';

/**
 * GT06 (Concox / Jimi IoT and the many clones: GT06N, JM-VL01, TR06, WeTrack…), as the GT06
 * communication protocol document describes it and Traccar decodes it (Gt06FrameDecoder,
 * Gt06ProtocolDecoder, Gt06ProtocolEncoder):
 *
 * - a frame is `78 78` + 1-byte length or `79 79` + 2-byte length, then the protocol number, the
 *   content, a 2-byte serial number, a CRC-ITU (CRC-16/X-25) over length … serial, and `0D 0A`; the
 *   length counts protocol number … CRC;
 * - login 0x01 (the IMEI in BCD), GPS 0x12 / 0x22 (0x22 adds ACC, upload mode and the real-time /
 *   re-upload flag), status 0x13 / heartbeat 0x23, alarm 0x16 / 0x26 (GPS + cell + status + alarm
 *   type), the device's answer to a command 0x15 (0x21 in the extended `79 79` form);
 * - the server answers `78 78 05 <protocol> <serial> <crc> 0D 0A`, echoing the serial: for positions
 *   that answer is the `ack`, written once the fix is staged; a frame whose CRC is wrong is never
 *   answered, so the device sends it again.
 *
 * - a login may carry, after the IMEI and the 2-byte type code, 2 bytes of "time zone / language": the
 *   offset in the high 12 bits (`800` = UTC+8), bit 3 set for west of Greenwich. Such a device writes
 *   its GPS times in that zone: the session keeps the offset of the last login and takes it off the
 *   times of every GPS block it decodes after it — 0x22 / 0x26 included, whose names say UTC: Traccar
 *   shifts every GPS block by the device session's time zone alike. A login without those bytes, or with
 *   an offset that is no time zone, means UTC.
 *
 * Traccar does not check the CRC; here a bad one makes the frame `invalid`. A frame whose CRC is right
 * but whose content cannot be a fix (time or coordinates out of range, 0,0 without a fix) is answered
 * all the same — sending it again could not make it storable — and reported as a heartbeat (0,0: the
 * device has no fix yet) or `invalid` (corrupt values).
 */

export const GT06_MAX_FRAME_BYTES = 2048;

export const GT06 = {
  LOGIN: 0x01,
  GPS: 0x12,
  STATUS: 0x13,
  STRING: 0x15,
  ALARM: 0x16,
  STRING_INFO: 0x21,
  GPS_UTC: 0x22,
  HEARTBEAT: 0x23,
  ALARM_UTC: 0x26,
  COMMAND: 0x80,
} as const;

/** CRC-16/X-25 (CRC-ITU as the GT06 document calls it): reflected 0x1021, init and final XOR 0xFFFF. */
export const crcX25 = (data: Buffer): number => (crc16kermit(data, 0xffff) ^ 0xffff) & 0xffff;

/** A `78 78` frame: length, protocol number, content, serial, CRC over length … serial, `0D 0A`. */
export function gt06Frame(protocol: number, content: Buffer, serial: number): Buffer {
  const frame = Buffer.alloc(content.length + 10);
  frame.writeUInt16BE(0x7878, 0);
  frame.writeUInt8(content.length + 5, 2);
  frame.writeUInt8(protocol, 3);
  content.copy(frame, 4);
  frame.writeUInt16BE(serial & 0xffff, content.length + 4);
  frame.writeUInt16BE(crcX25(frame.subarray(2, content.length + 6)), content.length + 6);
  frame.writeUInt16BE(0x0d0a, content.length + 8);
  return frame;
}

/** The standard answer: the protocol number and serial echoed, no content. */
export const gt06Answer = (protocol: number, serial: number): Buffer => gt06Frame(protocol, Buffer.alloc(0), serial);

/** Alarm type byte of 0x16 / 0x26 (and 0x13's alarm byte), in Traccar's names. */
const ALARM_TYPES: Record<number, string> = {
  0x01: 'sos',
  0x02: 'powerCut',
  0x03: 'vibration',
  0x04: 'geofenceEnter',
  0x05: 'geofenceExit',
  0x06: 'overspeed',
  0x09: 'vibration',
  0x0e: 'lowBattery',
  0x0f: 'lowBattery',
  0x11: 'powerOff',
  0x13: 'tampering',
  0x14: 'door',
  0x23: 'fallDown',
  0x29: 'hardAcceleration',
  0x2a: 'hardCornering',
  0x2b: 'hardCornering',
  0x2c: 'accident',
  0x30: 'hardBraking',
};

/** Bits 3–5 of the terminal information byte. */
const INFO_ALARMS: Record<number, string> = {
  1: 'vibration',
  2: 'powerCut',
  3: 'lowBattery',
  4: 'sos',
  6: 'geofence',
  7: 'removing',
};

type Attributes = TrackerAttributes & Record<string, unknown>;

/** Protocol numbers never given the plain answer: commands, and requests that expect content back. */
const NO_PLAIN_ANSWER = new Set([0x80, 0x81, 0x82, 0x8a, 0x2a]);

/**
 * Terminal information, voltage level (0–6), GSM signal (0–4) and optionally the alarm byte: the
 * status block of 0x13, 0x16 and 0x26.
 */
function statusBlock(content: Buffer, at: number): { attributes: Attributes; battery?: number } {
  const attributes: Attributes = {};
  if (content.length < at + 3) return { attributes };
  const info = content[at];
  const level = content[at + 1];
  attributes.ignition = (info & 0x02) !== 0;
  attributes.charge = (info & 0x04) !== 0;
  attributes.armed = (info & 0x01) !== 0;
  attributes.rssi = content[at + 2];
  attributes.voltageLevel = level;
  const alarm = (content.length > at + 3 ? ALARM_TYPES[content[at + 3]] : undefined) ?? INFO_ALARMS[(info >> 3) & 7];
  if (alarm) attributes.alarm = alarm;
  // The level is 0–6 (0 no power … 6 full); a few models put something else there: not a percentage then.
  return { attributes, battery: level <= 6 ? Math.round((level * 100) / 6) : undefined };
}

/** The largest offset of a time zone (UTC+14; west, UTC−12), in minutes. */
const MAX_ZONE_MINUTES = 14 * 60;

/**
 * The login's "time zone / language" word as minutes east of UTC (negative: west), or undefined when
 * its value is no time zone. The high 12 bits hold the offset × 100: Traccar reads it as `hhmm`
 * (`530` = 5 h 30), other descriptions as hundredths of an hour (`550` = 5.5 h); whole hours read the
 * same both ways, and the two readings never collide on a real zone (their minutes are :30 / :45 as
 * `hhmm`, .50 / .75 as hundredths), so both are taken.
 */
export function gt06TimeZoneMinutes(word: number): number | undefined {
  const value = (word >> 4) & 0x0fff;
  const hours = Math.floor(value / 100);
  const rest = value % 100;
  let minutes: number;
  if (rest === 0 || rest === 30 || rest === 45) minutes = hours * 60 + rest;
  else if (rest === 50 || rest === 75) minutes = hours * 60 + (rest * 60) / 100;
  else return undefined;
  if (minutes > MAX_ZONE_MINUTES) return undefined;
  return (word & 0x08) !== 0 && minutes !== 0 ? -minutes : minutes;
}

type GpsResult = { fix: RawFix } | { noFix: 'zero' | 'bad_time' | 'out_of_range' };

/**
 * The 18-byte GPS block: time, satellites, latitude, longitude, speed km/h, course and status. The
 * time is the device's clock, `zoneMinutes` east of UTC (0 unless its login said otherwise).
 */
function gpsBlock(content: Buffer, zoneMinutes: number): GpsResult {
  const [yy, mo, dd, hh, mi, ss] = content.subarray(0, 6);
  const local = new Date(Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss));
  if (mo < 1 || mo > 12 || dd < 1 || hh > 23 || mi > 59 || ss > 59 || local.getUTCDate() !== dd) {
    return { noFix: 'bad_time' };
  }
  const ts = new Date(local.getTime() - zoneMinutes * 60_000);
  const satellites = content[6] & 0x0f;
  let lat = content.readUInt32BE(7) / 1_800_000;
  let lon = content.readUInt32BE(11) / 1_800_000;
  const speed = content[15];
  const flags = content.readUInt16BE(16);
  if (lat > 90 || lon > 180) return { noFix: 'out_of_range' };
  if (lat === 0 && lon === 0) return { noFix: 'zero' };
  if ((flags & 0x0400) === 0) lat = -lat; // bit 10: north
  if ((flags & 0x0800) !== 0) lon = -lon; // bit 11: west
  const attributes: Attributes = { satellites };
  if (flags & 0x4000) attributes.ignition = (flags & 0x8000) !== 0; // bit 14: ACC state present
  const fix: RawFix = { ts, lat, lon, speedKmh: speed, valid: (flags & 0x1000) !== 0, attributes };
  const heading = headingOf(flags & 0x03ff);
  if (heading !== undefined) fix.heading = heading;
  return { fix };
}

/** Cell block length: MCC (2; bit 15 set → 2-byte MNC), MNC, LAC (2), cell id (3). */
const lbsLength = (content: Buffer, at: number) => (content.length >= at + 2 && content[at] & 0x80 ? 9 : 8);

function bcdImei(bytes: Buffer): string | undefined {
  const digits = bytes.toString('hex');
  if (!/^\d+$/.test(digits)) return undefined;
  // 8 bytes hold 16 digits; the IMEI's 15 follow a leading 0.
  return digits.startsWith('0') ? digits.slice(1) : digits;
}

/** Text from a device, storable: no NUL (trailing ones dropped) and no lone surrogate (PostgreSQL refuses both). */
const clean = (text: string) =>
  text
    .replace(/\0+$/g, '')
    .replace(/\0/g, ' ')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** What a connection's frames share: the time zone its last login declared. */
interface Gt06State {
  zoneMinutes: number;
}

function decodeFrame(frame: Buffer, extended: boolean, state: Gt06State): DeviceMessage {
  const head = extended ? 4 : 3;
  const protocol = frame[head];
  const serialAt = frame.length - 6;
  const content = frame.subarray(head + 1, serialAt);
  const serial = frame.readUInt16BE(serialAt);
  if (frame.readUInt16BE(frame.length - 4) !== crcX25(frame.subarray(2, frame.length - 4))) {
    return { type: 'invalid', reason: 'bad crc' };
  }
  const answer = gt06Answer(protocol, serial);

  switch (protocol) {
    case GT06.LOGIN: {
      const imei = content.length >= 8 ? bcdImei(content.subarray(0, 8)) : undefined;
      if (!imei) return { type: 'invalid', reason: 'bad login imei' };
      // IMEI (8), type code (2), then the optional time zone / language word.
      state.zoneMinutes = content.length >= 12 ? (gt06TimeZoneMinutes(content.readUInt16BE(10)) ?? 0) : 0;
      return { type: 'login', imei, accept: answer };
    }

    case GT06.GPS:
    case GT06.GPS_UTC: {
      if (content.length < 18) return { type: 'invalid', reason: 'truncated gps' };
      const gps = gpsBlock(content, state.zoneMinutes);
      if ('noFix' in gps) return noFix(gps.noFix, answer);
      const attributes = gps.fix.attributes as Attributes;
      const after = 18 + lbsLength(content, 18);
      if (protocol === GT06.GPS_UTC && content.length >= after + 3) {
        attributes.ignition = content[after] > 0;
        attributes.uploadMode = content[after + 1];
        attributes.archive = content[after + 2] > 0; // 0x00 real time, 0x01 re-upload
      }
      return { type: 'positions', fixes: [gps.fix], ack: answer };
    }

    case GT06.ALARM:
    case GT06.ALARM_UTC: {
      if (content.length < 19) return { type: 'invalid', reason: 'truncated alarm' };
      const gps = gpsBlock(content, state.zoneMinutes);
      // The cell block carries its own length (0: none); a 2-byte MNC makes it one byte longer.
      const cellLength = content[18];
      const statusAt = cellLength === 0 ? 19 : 19 + lbsLength(content, 19) + Math.max(0, cellLength - 9);
      const { attributes, battery } = statusBlock(content, statusAt);
      if ('noFix' in gps) return noFix(gps.noFix, answer, attributes);
      Object.assign(gps.fix.attributes as Attributes, attributes);
      if (battery !== undefined) gps.fix.battery = battery;
      return { type: 'positions', fixes: [gps.fix], ack: answer };
    }

    case GT06.STATUS: {
      const { attributes, battery } = statusBlock(content, 0);
      if (battery !== undefined) attributes.battery = battery;
      return { type: 'heartbeat', reply: answer, attributes };
    }

    case GT06.HEARTBEAT: {
      // GK310-style heartbeat: status byte, then (when present) battery volts × 100 and GSM signal.
      const attributes: Attributes = {};
      if (content.length >= 1) {
        attributes.armed = (content[0] & 0x01) !== 0;
        attributes.ignition = (content[0] & 0x02) !== 0;
        attributes.charge = (content[0] & 0x04) !== 0;
      }
      if (content.length >= 3) attributes.batteryVoltage = content.readUInt16BE(1) / 100;
      if (content.length >= 4) attributes.rssi = content[3];
      return { type: 'heartbeat', reply: answer, attributes };
    }

    case GT06.STRING: {
      // Command length (server flag + text), server flag (4 bytes), ASCII text, then the language.
      const length = content[0] ?? 0;
      if (length < 4 || content.length < 1 + length) return { type: 'invalid', reason: 'truncated command answer' };
      return { type: 'commandResult', text: clean(content.toString('latin1', 5, 1 + length)), reply: answer };
    }

    case GT06.STRING_INFO: {
      // Server flag (4 bytes), encoding (1: ASCII, else UTF-16BE), text. Traccar does not answer it.
      if (content.length < 5) return { type: 'invalid', reason: 'truncated command answer' };
      const text = content.subarray(5);
      const decoded =
        content[4] === 1
          ? text.toString('latin1')
          : Buffer.from(text.subarray(0, text.length & ~1))
              .swap16()
              .toString('utf16le');
      return { type: 'commandResult', text: clean(decoded) };
    }

    default:
      // Other well-formed frames (information, LBS/Wi-Fi-only…) carry no fix; Traccar answers the
      // short-header ones so the device does not resend them — except commands, and the requests whose
      // answer has content of its own (time 0x8A, address 0x2A), where an empty answer would be wrong.
      return {
        type: 'heartbeat',
        attributes: { protocol },
        ...(!extended && !NO_PLAIN_ANSWER.has(protocol) ? { reply: answer } : {}),
      };
  }
}

function noFix(
  reason: 'zero' | 'bad_time' | 'out_of_range',
  answer: Buffer,
  attributes: Attributes = {},
): DeviceMessage {
  if (reason === 'zero') return { type: 'heartbeat', reply: answer, attributes };
  return {
    type: 'invalid',
    reason: reason === 'bad_time' ? 'bad gps time' : 'coordinates out of range',
    reply: answer,
  };
}

class Gt06Session implements ProtocolSession {
  private buf = Buffer.alloc(0);
  private readonly state: Gt06State = { zoneMinutes: 0 };

  constructor(private readonly maxFrameBytes: number) {}

  get buffered(): number {
    return this.buf.length;
  }

  private fail(message: string, reason: 'garbage' | 'too_large'): never {
    this.buf = Buffer.alloc(0);
    throw new FrameError(message, reason);
  }

  push(chunk: Buffer): DeviceMessage[] {
    let buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const messages: DeviceMessage[] = [];
    while (buf.length > 0) {
      const start = buf[0];
      if ((start !== 0x78 && start !== 0x79) || (buf.length > 1 && buf[1] !== start)) {
        this.fail(`GT06 frame must start with 7878 or 7979, got ${buf.subarray(0, 2).toString('hex')}`, 'garbage');
      }
      const extended = start === 0x79;
      const head = extended ? 4 : 3;
      if (buf.length < head) break;
      const length = extended ? buf.readUInt16BE(2) : buf[2];
      const total = head + length + 2;
      if (total > this.maxFrameBytes)
        this.fail(`GT06 frame of ${total} bytes (at most ${this.maxFrameBytes})`, 'too_large');
      if (buf.length < total) break;
      if (buf[total - 2] !== 0x0d || buf[total - 1] !== 0x0a) {
        this.fail('GT06 frame does not end with 0D0A where its length says', 'garbage');
      }
      // Protocol number, serial and CRC take 5 bytes: a shorter frame has nothing to check or answer.
      messages.push(
        length < 5
          ? { type: 'invalid', reason: 'frame too short' }
          : decodeFrame(buf.subarray(0, total), extended, this.state),
      );
      buf = buf.subarray(total);
    }
    // Copy the tail so the session never pins a large socket chunk.
    this.buf = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
    return messages;
  }
}

/** The longest command text a `78 78` frame holds (length byte ≤ 255). */
const MAX_COMMAND_LENGTH = 255 - 10;

/**
 * Command 0x80 (Gt06ProtocolEncoder's form): command length, a 4-byte server flag, the ASCII text
 * (`Relay,1#`, `RELAY,1#`, `SERVER,1,host,port,0#`…). The flag and the serial number carry `serial`;
 * the device echoes the flag in its 0x15 answer.
 */
export function encodeGt06Command(text: string, serial: number): Buffer {
  if (!/^[\x20-\x7e]+$/.test(text) || text.length > MAX_COMMAND_LENGTH) {
    throw new Error(`GT06 command must be 1-${MAX_COMMAND_LENGTH} printable ASCII characters`);
  }
  const content = Buffer.alloc(5 + text.length);
  content.writeUInt8(4 + text.length, 0);
  content.writeUInt32BE(serial >>> 0, 1);
  content.write(text, 5, 'latin1');
  return gt06Frame(GT06.COMMAND, content, serial);
}

export const gt06: TcpProtocol = {
  name: 'gt06',
  portEnv: 'GT06_PORT',
  defaultPort: 5023,
  maxFrameBytes: GT06_MAX_FRAME_BYTES,
  createSession: () => new Gt06Session(GT06_MAX_FRAME_BYTES),
  encodeCommand: (_imei, text, serial) => encodeGt06Command(text, serial),
};
