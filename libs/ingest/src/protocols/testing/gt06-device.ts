import { crcX25, GT06, gt06Frame } from '../gt06';

/** One position as a simulated device holds it (km/h, degrees, UTC). */
export interface Gt06Record {
  ts: Date;
  lat: number;
  lon: number;
  speedKmh?: number;
  heading?: number;
  /** false clears the "GPS positioned" bit. */
  valid?: boolean;
  satellites?: number;
  ignition?: boolean;
}

/** Terminal state of a status (0x13) frame or an alarm's status block. */
export interface Gt06Status {
  ignition?: boolean;
  charging?: boolean;
  /** Voltage level 0–6. */
  level?: number;
  /** GSM signal 0–4. */
  rssi?: number;
}

/** A frame the server sent: its protocol number, serial, content, and whether its CRC was right. */
export interface Gt06ServerFrame {
  protocol: number;
  serial: number;
  content: Buffer;
  crcOk: boolean;
}

/** Alarm type bytes of 0x16 / 0x26 (the subset a simulator needs). */
export const GT06_ALARM_CODES = {
  sos: 0x01,
  powerCut: 0x02,
  vibration: 0x03,
  geofenceEnter: 0x04,
  geofenceExit: 0x05,
  overspeed: 0x06,
  lowBattery: 0x0e,
} as const;

function bcd(imei: string): Buffer {
  if (!/^\d{15,16}$/.test(imei)) throw new Error('a GT06 IMEI is 15 digits');
  return Buffer.from(imei.padStart(16, '0'), 'hex');
}

/** The 18-byte GPS block; its time is the device's clock, `zoneMinutes` east of UTC. */
function gpsBlock(record: Gt06Record, zoneMinutes = 0): Buffer {
  const block = Buffer.alloc(18);
  const t = new Date(record.ts.getTime() + zoneMinutes * 60_000);
  [
    t.getUTCFullYear() - 2000,
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
  ].forEach((v, i) => block.writeUInt8(v, i));
  block.writeUInt8(0xc0 | Math.min(record.satellites ?? 9, 15), 6);
  block.writeUInt32BE(Math.round(Math.abs(record.lat) * 1_800_000), 7);
  block.writeUInt32BE(Math.round(Math.abs(record.lon) * 1_800_000), 11);
  block.writeUInt8(Math.min(Math.round(record.speedKmh ?? 0), 255), 15);
  let flags = Math.round(record.heading ?? 0) % 360;
  if (record.lat >= 0) flags |= 0x0400;
  if (record.lon < 0) flags |= 0x0800;
  if (record.valid !== false) flags |= 0x1000;
  if (record.ignition !== undefined) flags |= 0x4000 | (record.ignition ? 0x8000 : 0);
  block.writeUInt16BE(flags, 16);
  return block;
}

/** MCC 262, MNC 1, LAC 0x1234, cell 0x00abcd: a plausible cell. */
const CELL = Buffer.from('010601123400abcd', 'hex');

function statusBlock(status: Gt06Status, alarm: number): Buffer {
  const info = 0x40 | (status.ignition ? 0x02 : 0) | (status.charging ? 0x04 : 0);
  return Buffer.from([info, status.level ?? 6, status.rssi ?? 4, alarm, 0x02]);
}

/**
 * A simulated GT06 tracker: builds the frames a real one sends, with correct CRCs and a serial number
 * that counts up per frame (the inverse of gt06.ts), and reads the server's answers. For the decoder's
 * tests, the gateway's tests and tools/tracker-sim.
 */
export class Gt06Device {
  private nextSerial: number;
  /** Minutes east of UTC of the device's clock (GT06 `GMT,E|W,h,m#`); undefined: UTC, none in the login. */
  readonly zoneMinutes: number | undefined;

  constructor(
    readonly imei: string,
    options: { firstSerial?: number; zoneMinutes?: number } = {},
  ) {
    bcd(imei);
    this.nextSerial = options.firstSerial ?? 1;
    this.zoneMinutes = options.zoneMinutes;
  }

  /** The serial the next frame will carry. */
  get serial(): number {
    return this.nextSerial;
  }

  private frame(protocol: number, content: Buffer): Buffer {
    const frame = gt06Frame(protocol, content, this.nextSerial);
    this.nextSerial = (this.nextSerial + 1) & 0xffff;
    return frame;
  }

  /**
   * The login: the IMEI alone, or with a device set to a time zone, the type code and the time zone /
   * language word (offset as `hhmm` in the high 12 bits, bit 3 west, bit 1 English).
   */
  login(): Buffer {
    if (this.zoneMinutes === undefined) return this.frame(GT06.LOGIN, bcd(this.imei));
    const abs = Math.abs(this.zoneMinutes);
    const word = ((Math.floor(abs / 60) * 100 + (abs % 60)) << 4) | (this.zoneMinutes < 0 ? 0x08 : 0) | 0x02;
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(0x3603, 0); // type code (a GT06N)
    tail.writeUInt16BE(word, 2);
    return this.frame(GT06.LOGIN, Buffer.concat([bcd(this.imei), tail]));
  }

  /**
   * A position: 0x22 (with ACC, upload mode and the real-time / re-upload flag) unless `protocol` is
   * 0x12; `archive` marks a record re-uploaded from the device's buffer.
   */
  position(record: Gt06Record, options: { archive?: boolean; protocol?: 0x12 | 0x22 } = {}): Buffer {
    const protocol = options.protocol ?? GT06.GPS_UTC;
    const parts = [gpsBlock(record, this.zoneMinutes), CELL];
    if (protocol === GT06.GPS_UTC) {
      parts.push(Buffer.from([record.ignition ? 1 : 0, 0x00, options.archive ? 1 : 0]));
    }
    return this.frame(protocol, Buffer.concat(parts));
  }

  /** A status / heartbeat frame (0x13). */
  heartbeat(status: Gt06Status = {}): Buffer {
    return this.frame(GT06.STATUS, statusBlock(status, 0));
  }

  /** An alarm (0x16, or 0x26 the UTC variant) with the position and terminal status. */
  alarm(
    record: Gt06Record,
    alarm: keyof typeof GT06_ALARM_CODES,
    status: Gt06Status = {},
    protocol: 0x16 | 0x26 = 0x16,
  ): Buffer {
    const content = Buffer.concat([
      gpsBlock(record, this.zoneMinutes),
      Buffer.from([9]),
      CELL,
      statusBlock(status, GT06_ALARM_CODES[alarm]),
    ]);
    return this.frame(protocol, content);
  }

  /** The device's answer (0x15) to a command whose server flag was `serverFlag`. */
  commandAnswer(text: string, serverFlag: number): Buffer {
    const body = Buffer.from(text, 'latin1');
    const content = Buffer.alloc(5 + body.length + 2);
    content.writeUInt8(4 + body.length, 0);
    content.writeUInt32BE(serverFlag >>> 0, 1);
    body.copy(content, 5);
    content.writeUInt16BE(0x0002, 5 + body.length); // language: English
    return this.frame(GT06.STRING, content);
  }
}

/** Splits what the server sent into frames (`78 78` and `79 79`), checking each CRC. */
export function parseGt06Frames(bytes: Buffer): Gt06ServerFrame[] {
  const frames: Gt06ServerFrame[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const extended = bytes[at] === 0x79 && bytes[at + 1] === 0x79;
    if (!extended && !(bytes[at] === 0x78 && bytes[at + 1] === 0x78)) throw new Error(`not a GT06 frame at byte ${at}`);
    const head = extended ? 4 : 3;
    const length = extended ? bytes.readUInt16BE(at + 2) : bytes[at + 2];
    const end = at + head + length + 2;
    if (end > bytes.length) throw new Error('truncated GT06 frame');
    const frame = bytes.subarray(at, end);
    frames.push({
      protocol: frame[head],
      serial: frame.readUInt16BE(frame.length - 6),
      content: frame.subarray(head + 1, frame.length - 6),
      crcOk: frame.readUInt16BE(frame.length - 4) === crcX25(frame.subarray(2, frame.length - 4)),
    });
    at = end;
  }
  return frames;
}

/** The text and server flag of a command (0x80) frame the server sent. */
export function parseGt06Command(frame: Gt06ServerFrame): { serverFlag: number; text: string } {
  if (frame.protocol !== GT06.COMMAND) throw new Error(`not a command frame: 0x${frame.protocol.toString(16)}`);
  const length = frame.content[0];
  return { serverFlag: frame.content.readUInt32BE(1), text: frame.content.toString('latin1', 5, 1 + length) };
}
